package dev.jvz.node;

import com.fasterxml.jackson.databind.annotation.JsonSerialize;
import com.fasterxml.jackson.databind.ser.std.ToStringSerializer;
import java.nio.file.Path;

/**
 * One mounted disk (paths appear in JSON as plain strings, not file: URIs) as the node reports and persists it.
 *
 * @param id stable id ({@link NodePaths#idOf})
 * @param descriptor absolute path of DiskDescriptor.xml
 * @param mountPoint where the file system is mounted, or null when only attached (no file system)
 * @param device the block device ({@code /dev/loopN}, {@code /dev/nbdN})
 * @param attach how the device was made ({@code NBD_CLIENT} or {@code FUSE_LOOP})
 * @param socket the NBD export's Unix socket
 * @param readOnly mounted read-only
 */
public record MountRecord(
        String id,
        @JsonSerialize(using = ToStringSerializer.class) Path descriptor,
        @JsonSerialize(using = ToStringSerializer.class) Path mountPoint,
        String device,
        String attach,
        @JsonSerialize(using = ToStringSerializer.class) Path socket,
        boolean readOnly) {
    public MountRecord {
        if (id == null || descriptor == null || device == null || attach == null || socket == null) {
            throw new IllegalArgumentException("id, descriptor, device, attach and socket are required");
        }
    }
}
