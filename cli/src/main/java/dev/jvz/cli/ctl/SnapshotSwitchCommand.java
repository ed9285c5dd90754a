package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvz ctl snapshot-switch CTID --id UUID}. */
@Command(
        name = "snapshot-switch",
        description = {"Go back to a snapshot: the container's disk becomes what it was then.", "",
            "The current state of the disk is discarded. A running container is stopped, switched and "
                    + "started again, as vzctl does (its processes go back with the disk; there is no memory "
                    + "dump to restore). If the switch fails, the disk is unchanged and the container is "
                    + "started again. A stopped container's mounted disk is unmounted for the switch and "
                    + "mounted again."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl snapshot-list 101", "  jvz ctl snapshot-switch 101 --id {b2d9c1e4-...}"})
final class SnapshotSwitchCommand extends CtCommand {
    @Option(names = "--id", required = true, paramLabel = "UUID", description = "The snapshot to switch to.")
    String id;

    @Override
    String run(Containers cts) throws CtException {
        boolean restarted = cts.switchSnapshot(ctid, id);
        return "Container " + ctid + (restarted ? " stopped, switched to snapshot " + id + " and started again"
                : " switched to snapshot " + id);
    }
}
