package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvz ctl snapshot CTID [--id UUID]}. */
@Command(
        name = "snapshot",
        description = {"Take a disk snapshot of a container, running or not.", "",
            "A mounted disk is snapshotted by the jvz node with the file system frozen around it "
                    + "(FIFREEZE), so the snapshot is consistent while the container keeps running; an "
                    + "unmounted one directly. Prints the snapshot's UUID."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl snapshot 101", "  jvz ctl snapshot 101 --id {b2d9c1e4-...}"})
final class SnapshotCommand extends CtCommand {
    @Option(names = "--id", paramLabel = "UUID", description = "The new snapshot's UUID (default: a random one).")
    String id;

    @Override
    String run(Containers cts) throws CtException {
        return cts.snapshot(ctid, id);
    }
}
