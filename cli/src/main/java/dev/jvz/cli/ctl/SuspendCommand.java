package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl suspend CTID}. */
@Command(
        name = "suspend",
        description = {"Freeze every process of a running container.", "", "The cgroup freezer stops its processes where they are; their memory stays. 'resume' lets them go on. A suspended container cannot run 'exec'; 'stop' resumes it first."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl suspend 101 && jvz ctl resume 101"})
final class SuspendCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.suspend(ctid); return "Container " + ctid + " suspended";
    }
}
