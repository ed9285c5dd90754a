package dev.jvz.nbd;

import dev.jvz.image.BlockDevice;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A device seen as larger than it is: bytes past the device's current size read as zeros and refuse
 * writes ("No space left", which the server answers with ENOSPC as proto.md asks for writes past the
 * end). The device may grow underneath; what lies inside its new size is then served normally.
 *
 * <p>Thread-safe if the device is.
 */
final class PaddedDevice implements BlockDevice {
    private final BlockDevice device;
    private final long size;

    PaddedDevice(BlockDevice device, long size) {
        this.device = device;
        this.size = size;
    }

    @Override
    public long size() {
        return size;
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        long real = device.size();
        int inside = (int) Math.max(0, Math.min(dst.remaining(), real - offset));
        if (inside > 0) {
            ByteBuffer head = dst.slice(dst.position(), inside);
            device.read(offset, head);
        }
        for (int i = dst.position() + inside; i < dst.limit(); i++) {
            dst.put(i, (byte) 0);
        }
        dst.position(dst.limit());
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        long real = device.size();
        if (offset + src.remaining() > real) {
            throw new IOException("No space left on device: write at " + offset + " of " + src.remaining()
                    + " bytes passes the disk's current size of " + real + " bytes");
        }
        device.write(offset, src);
    }

    @Override
    public void flush() throws IOException {
        device.flush();
    }

    @Override
    public boolean readOnly() {
        return device.readOnly();
    }

    @Override
    public void close() throws IOException {
        device.close();
    }
}
