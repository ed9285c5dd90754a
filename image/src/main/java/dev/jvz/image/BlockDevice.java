package dev.jvz.image;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A virtual disk addressed in bytes: what the NBD server serves and what import/export copy.
 *
 * <p>Implementations say whether they are thread-safe.
 */
public interface BlockDevice extends AutoCloseable {
    /** Virtual size in bytes. */
    long size();

    /** Reads {@code dst.remaining()} bytes at {@code offset}; the range must lie inside the device. */
    void read(long offset, ByteBuffer dst) throws IOException;

    /** Writes {@code src.remaining()} bytes at {@code offset}; durable after {@link #flush()}. */
    void write(long offset, ByteBuffer src) throws IOException;

    /** Makes every completed write durable. */
    void flush() throws IOException;

    boolean readOnly();

    @Override
    void close() throws IOException;
}
