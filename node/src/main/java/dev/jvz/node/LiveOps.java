package dev.jvz.node;

import dev.jvz.image.ImageException;
import dev.jvz.image.ImageInUseException;
import dev.jvz.image.ImageLockedException;
import dev.jvz.image.ImageCorruptedException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Operations on a disk while the node serves it: snapshot (with the file system frozen around it, so
 * the snapshot is consistent), snapshot-list, merge of a snapshot below the active top.
 *
 * <p>Thread-safe: each runs under the {@link MountService} lock, so no mount or umount interleaves.
 */
final class LiveOps {
    private LiveOps() {}

    static Object handle(MountService mounts, NodeProtocol.Request req) throws NodeException {
        if (req.descriptor() == null) {
            throw new NodeException(NodeException.Kind.INVALID, "'" + req.op() + "' needs a descriptor or mount point");
        }
        Path target = Path.of(req.descriptor());
        return switch (req.op()) {
            case "snapshot-list" -> mounts.withMounted(target, m -> m.disk.snapshots());
            case "snapshot" -> mounts.withMounted(target, m -> Map.of("guid", snapshot(m, req.guid())));
            case "snapshot-merge" -> mounts.withMounted(target, m -> {
                if (req.guid() == null) {
                    throw new NodeException(NodeException.Kind.INVALID, "merging while mounted needs the GUID of a "
                            + "snapshot below the active top (-u GUID); the top itself merges only when unmounted");
                }
                run(() -> m.disk.mergeLive(m.image, req.guid()));
                return Map.of("merged", req.guid());
            });
            default -> throw new NodeException(NodeException.Kind.INVALID, "unknown request '" + req.op() + "'");
        };
    }

    /**
     * Freezes the mounted file system (FIFREEZE flushes it and blocks new writes), takes the snapshot
     * while I/O is paused in the image, and thaws on every path.
     */
    private static String snapshot(MountService.Mounted m, String guid) throws NodeException {
        Path mp = m.record.mountPoint();
        boolean frozen = false;
        try {
            if (mp != null && !m.record.readOnly()) {
                Fs.freeze(mp);
                frozen = true;
            }
            String[] out = new String[1];
            run(() -> out[0] = m.disk.snapshotLive(m.image, guid));
            return out[0];
        } catch (IOException e) {
            throw new NodeException(NodeException.Kind.TOOL, e.getMessage(), e);
        } finally {
            if (frozen) {
                try {
                    Fs.thaw(mp);
                } catch (IOException e) {
                    // Still frozen would hang every writer: say so loudly; the caller sees the failure.
                    throw new NodeException(NodeException.Kind.TOOL, "the snapshot was taken but " + mp
                            + " could not be thawed: " + e.getMessage() + "; run 'fsfreeze -u " + mp + "'", e);
                }
            }
        }
    }

    @FunctionalInterface
    private interface Step {
        void run() throws IOException, ImageException;
    }

    private static void run(Step s) throws NodeException {
        try {
            s.run();
        } catch (ImageInUseException e) {
            throw new NodeException(NodeException.Kind.IN_USE, e.getMessage(), e);
        } catch (ImageLockedException e) {
            throw new NodeException(NodeException.Kind.BUSY, e.getMessage(), e);
        } catch (ImageCorruptedException e) {
            throw new NodeException(NodeException.Kind.CORRUPTED, e.getMessage(), e);
        } catch (ImageException e) {
            throw new NodeException(NodeException.Kind.INVALID, e.getMessage(), e);
        } catch (IOException e) {
            throw MountService.io("the operation failed", e);
        }
    }
}
