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
 * the snapshot is consistent), snapshot-list, snapshot-merge (also of the active top), snapshot-delete
 * (also of the snapshot under the active top: the top is merged down into it, see
 * {@link dev.jvz.image.Disk#deleteSnapshotLive}), grow.
 *
 * <p>Thread-safe: each runs under the {@link MountService} lock, so no mount or umount interleaves,
 * except snapshot-delete, which marks the disk busy instead ({@link MountService#withMountedBusy}).
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
            case "snapshot" -> mounts.withMounted(target, m -> {
                mounts.requireIdle(m); // a copy reads the top delta that a snapshot would replace
                return Map.of("guid", snapshot(m, req.guid()));
            });
            case "snapshot-merge" -> mounts.withMounted(target, m -> {
                mounts.requireIdle(m);
                // No GUID: the active top, merged down into its parent (Disk.mergeLive, as ploop merges online).
                String g = req.guid() != null ? req.guid() : m.disk.descriptor().topGuid();
                run(() -> m.disk.mergeLive(m.image, g));
                return Map.of("merged", g);
            });
            case "snapshot-delete" -> {
                if (req.guid() == null) {
                    throw new NodeException(NodeException.Kind.INVALID, "snapshot-delete needs the GUID of the "
                            + "snapshot to delete (-u GUID)");
                }
                // Busy, not under the service lock: merging a large top takes a while and status/list must
                // answer; umount, a copy (it tracks the top being replaced) and other live ops refuse meanwhile.
                // No freeze: a delete moves data between deltas but changes no content the file system sees.
                yield mounts.withMountedBusy(target, "a snapshot delete", m -> {
                    run(() -> m.disk.deleteSnapshotLive(m.image, req.guid()));
                    return Map.of("deleted", req.guid());
                });
            }
            case "grow" -> mounts.withMounted(target, m -> {
                mounts.requireIdle(m);
                return grow(m, req.size());
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

    /** What a grow of a mounted disk did. */
    record Grown(long size, String device, boolean fsResized, String note) {}

    /**
     * Grows the image (I/O paused while the header and BAT grow), raises the loop device's size limit,
     * and resizes a mounted ext4 online. Online resize needs CAP_SYS_RESOURCE; where the host denies
     * it, the disk and device have grown and the file system grows at the next mount.
     */
    private static Grown grow(MountService.Mounted m, Long size) throws NodeException {
        if (size == null || size <= 0) {
            throw new NodeException(NodeException.Kind.INVALID, "grow needs a positive size");
        }
        if (m.record.readOnly()) {
            throw new NodeException(NodeException.Kind.BUSY, "the disk is mounted read-only; unmount it to grow it");
        }
        if (m.attachment.kind() != Attachment.Kind.FUSE_LOOP) {
            throw new NodeException(NodeException.Kind.BUSY, "a disk attached with nbd-client cannot grow while "
                    + "mounted (the kernel fixed its size at connect time); unmount, grow, and mount again");
        }
        if (size > m.exportSize) {
            throw new NodeException(NodeException.Kind.INVALID, "a mounted disk can grow to at most "
                    + m.exportSize + " bytes; unmount it to grow it further");
        }
        run(() -> m.disk.growLive(m.image, size));
        String dev = m.attachment.device();
        try {
            LoopDevice.setSizeLimit(dev, m.image.size());
        } catch (IOException e) {
            throw new NodeException(NodeException.Kind.TOOL, "the image grew to " + m.image.size()
                    + " bytes but " + dev + " could not follow (" + e.getMessage() + "); unmount and mount again", e);
        }
        if (m.record.mountPoint() == null) {
            return new Grown(m.image.size(), dev, false, "no file system mounted");
        }
        try {
            Fs.resize(dev);
            return new Grown(m.image.size(), dev, true, null);
        } catch (IOException e) {
            return new Grown(m.image.size(), dev, false, "online resize2fs failed (" + e.getMessage()
                    + "); the file system grows when the disk is next mounted");
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
