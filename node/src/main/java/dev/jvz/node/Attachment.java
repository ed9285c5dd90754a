package dev.jvz.node;

import java.nio.file.Path;

/**
 * How an NBD export became a kernel block device; enough to undo it, also after a node restart.
 *
 * @param kind which path was used
 * @param device the block device to mkfs/mount ({@code /dev/loopN} or {@code /dev/nbdN})
 * @param fuseDir the nbdfuse mount directory (FUSE_LOOP only, else null)
 * @param helperPid pid of the nbdfuse process (FUSE_LOOP only, else 0)
 */
public record Attachment(Kind kind, String device, Path fuseDir, long helperPid) {
    public enum Kind {
        /** nbd-client and the kernel nbd module: /dev/nbdN. */
        NBD_CLIENT,
        /** nbdfuse exposes the export as a file; a loop device turns it into a block device. */
        FUSE_LOOP
    }

    public Attachment {
        if (kind == null || device == null || device.isBlank()) {
            throw new IllegalArgumentException("kind and device are required");
        }
        if (kind == Kind.FUSE_LOOP && fuseDir == null) {
            throw new IllegalArgumentException("a FUSE_LOOP attachment needs its fuse directory");
        }
    }
}
