package dev.jvz.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * One layer of a disk stack: a ploop delta or a raw ("Plain") base file.
 *
 * <p>Implementations are thread-safe for concurrent reads; writes follow each class's own rules.
 */
sealed interface Layer extends AutoCloseable permits Delta, RawLayer {
    /** Returns the file offset of virtual cluster {@code cluster}'s data in this layer, or -1 if not present. */
    long lookup(long cluster);

    /** Reads exactly {@code dst.remaining()} bytes from file offset {@code fileOffset}. */
    void readAt(long fileOffset, ByteBuffer dst) throws IOException;

    Path path();

    boolean writable();

    @Override
    void close() throws IOException;
}
