package dev.jvz.cli.ploop;

import dev.jvz.node.MountRecord;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import dev.jvz.node.NodePaths;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Commands that change a disk (snapshot, merge) work offline through the Disk API, but a mounted disk
 * belongs to the node that serves it: it holds the disk's lock and its open stack. This finds that
 * node, so the command asks it instead (the node freezes the file system around a snapshot).
 *
 * <p>Stateless; thread-safe.
 */
final class NodeRouting {
    private NodeRouting() {}

    /** The node ($JVZ_NODE_DIR or the default) that has {@code disk} mounted, if any. */
    static Optional<NodeClient> servingNode(Path disk) throws NodeException {
        NodePaths paths = NodePaths.resolve(null);
        if (!NodeClient.answers(paths)) {
            return Optional.empty();
        }
        Path xml = DiskArgs.descriptorFile(disk);
        NodeClient c = new NodeClient(paths);
        for (MountRecord r : c.list()) {
            if (r.descriptor().equals(xml)) {
                return Optional.of(c);
            }
        }
        return Optional.empty();
    }
}
