package dev.jvz.nbd;

import dev.jvz.image.BlockDevice;
import dev.jvz.image.Image;

/**
 * The one export a server offers: the device, its name and description, whether it is read-only, and
 * its allocation map (for NBD_REPLY_TYPE_OFFSET_HOLE and base:allocation).
 *
 * <p>Thread-safe: immutable; the device is thread-safe ({@link Image} is).
 */
final class Export {
    final BlockDevice device;
    /** The device as an image stack, or null when it is some other block device (no allocation map). */
    final Image image;
    final String name;
    final String description;
    final boolean readOnly;
    final long size;
    private final int clusterShift;

    Export(BlockDevice device, String name, String description, boolean readOnly) {
        this(device, name, description, readOnly, device.size());
    }

    Export(BlockDevice device, String name, String description, boolean readOnly, long advertisedSize) {
        OptionRequests.checkString(name, "export name");
        if (description != null) {
            OptionRequests.checkString(description, "description");
        }
        this.device = advertisedSize > device.size() ? new PaddedDevice(device, advertisedSize) : device;
        this.image = device instanceof Image i ? i : null;
        this.name = name;
        this.description = description;
        this.readOnly = readOnly || device.readOnly();
        this.size = this.device.size();
        this.clusterShift = image == null ? 0 : Long.numberOfTrailingZeros(image.clusterBytes());
    }

    /** The export answers to its name and to the empty "default export" name (proto.md NBD_OPT_EXPORT_NAME). */
    boolean matches(String requested) {
        return requested.isEmpty() || requested.equals(name);
    }

    /** Transmission flags; DF only when structured replies were negotiated, as the spec requires. */
    int transmissionFlags(boolean structured) {
        int f = Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_CAN_MULTI_CONN;
        if (readOnly) {
            f |= Nbd.FLAG_READ_ONLY;
        } else {
            f |= Nbd.FLAG_SEND_FLUSH | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES;
        }
        if (structured) {
            f |= Nbd.FLAG_SEND_DF;
        }
        return f;
    }

    long clusterBytes() {
        return image == null ? 0 : image.clusterBytes();
    }

    /** True when no layer maps the cluster holding {@code offset}: it reads as zeros and takes no space. */
    boolean isHole(long offset) {
        return image != null && image.layerOf(offset >>> clusterShift) < 0;
    }

    /**
     * End of the run that starts at {@code offset} and has hole status {@code hole} throughout, at most
     * {@code end}.
     */
    long runEnd(long offset, long end, boolean hole) {
        if (image == null) {
            return end;
        }
        long next = ((offset >>> clusterShift) + 1) << clusterShift;
        while (next < end && isHole(next) == hole) {
            next += 1L << clusterShift;
        }
        return Math.min(next, end);
    }
}
