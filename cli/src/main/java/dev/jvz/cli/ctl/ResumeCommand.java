package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl resume CTID}. */
@Command(
        name = "resume",
        description = {"Let the processes of a suspended container go on.", "", "The counterpart of 'suspend'."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl resume 101"})
final class ResumeCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.resume(ctid); return "Container " + ctid + " resumed";
    }
}
