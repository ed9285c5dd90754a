package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl umount CTID}. */
@Command(
        name = "umount",
        description = {"Unmount a stopped container's file system.", "", "Refused while the container runs (stop unmounts it too)."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl umount 101"})
final class UmountCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.umount(ctid); return "Container " + ctid + " is unmounted";
    }
}
