package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Where a live copy puts the bytes of the image file it copies (PLOOP-FORMAT.md, section 3): a
 * legacy ploop-copy stream, jvz's own stream, or a local file. Offsets are positions in the delta
 * FILE (header, BAT and data clusters alike), not virtual disk offsets.
 *
 * <p>The sender calls these from one thread, in order. Implementations say what else is safe.
 */
public interface CopySink extends AutoCloseable {
    /** Sends {@code data.remaining()} bytes to be written at file offset {@code pos}; consumes {@code data}. */
    void write(long pos, ByteBuffer data) throws IOException;

    /**
     * Asks the receiver to make everything sent so far durable (fdatasync) and waits for its
     * acknowledgement; fails if the receiver reports a failure or the stream breaks.
     */
    void sync() throws IOException;

    /** Ends the copy successfully: the receiver syncs, closes and keeps the file. */
    void finish() throws IOException;

    /** Releases the sink; after a failure (no {@link #finish()}), the receiver drops its partial file. */
    @Override
    void close() throws IOException;
}
