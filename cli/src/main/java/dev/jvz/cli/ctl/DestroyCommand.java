package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl destroy CTID}. */
@Command(
        name = "destroy",
        description = {"Remove a stopped container and everything it has.", "", "Unmounts it, then removes its disk and private area (PRIVATE/CTID), its mount point (ROOT/CTID), its CTID.conf, and any runc state or network namespace a crash left. Refused while it runs. There is no undo."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl stop 101 && jvz ctl destroy 101"})
final class DestroyCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.destroy(ctid); return "Container " + ctid + " destroyed";
    }
}
