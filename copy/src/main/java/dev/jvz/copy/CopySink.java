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

    /**
     * Ranges of the hash-list digest this sink can verify at {@link #finish(FinalImage)} ({@link
     * FinalImage#rangeSize()}); 0 = it cannot verify a final digest (ploop's legacy stream).
     */
    default int digestRangeSize() {
        return 0;
    }

    /**
     * As {@link #finish()}, and the destination must equal {@code expected} (length and digest), else
     * {@link ChecksumMismatchException} (or {@link RemoteFailureException} with the receiver's
     * message). Null = {@link #finish()}.
     *
     * @throws UnsupportedOperationException if {@code expected} is set and {@link #digestRangeSize()}
     *     does not match its range size
     */
    default void finish(FinalImage expected) throws IOException {
        if (expected != null) {
            throw new UnsupportedOperationException(getClass().getSimpleName() + " cannot verify a final digest");
        }
        finish();
    }

    /** What the receiver kept from an earlier attempt to resume from; {@link ResumeInfo#NONE} by default. */
    default ResumeInfo resume() {
        return ResumeInfo.NONE;
    }

    /** Releases the sink; after a failure (no {@link #finish()}), the receiver drops its partial file. */
    @Override
    void close() throws IOException;
}
