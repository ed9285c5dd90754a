package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl restart CTID}. */
@Command(
        name = "restart",
        description = {"Stop a running container and start it again.", "", "As 'stop' followed by 'start', under one lock. A stopped container is just started."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl restart 101"})
final class RestartCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.restart(ctid); return "Container " + ctid + " restarted";
    }
}
