package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl mount CTID}. */
@Command(
        name = "mount",
        description = {"Mount a container's file system at VE_ROOT without starting it.", "", "The jvz node serves the disk and mounts its ext4 at VE_ROOT/CTID, where the host can read and change the container's files."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl mount 101 && ls /var/lib/jvz/root/101"})
final class MountCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.mount(ctid); return "Container " + ctid + " is mounted";
    }
}
