package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvz ctl snapshot-delete CTID --id UUID}. */
@Command(
        name = "snapshot-delete",
        description = {"Delete a snapshot of a container's disk.", "",
            "Its data is merged with its child, as ploop snapshot-delete does. The container may be "
                    + "running: the jvz node changes the mounted disk while the container keeps using it (the "
                    + "snapshot just under the current state takes the current state's data, online, as "
                    + "ploop merges). No freeze is needed: a delete changes no data the container sees."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl snapshot-delete 101 --id {b2d9c1e4-...}"})
final class SnapshotDeleteCommand extends CtCommand {
    @Option(names = "--id", required = true, paramLabel = "UUID", description = "The snapshot to delete.")
    String id;

    @Override
    String run(Containers cts) throws CtException {
        cts.deleteSnapshot(ctid, id);
        return "Snapshot " + id + " of container " + ctid + " deleted";
    }
}
