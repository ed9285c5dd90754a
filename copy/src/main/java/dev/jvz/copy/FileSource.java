package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Reads the image file being copied. The real one is a read-only {@link FileChannel} of its own
 * (never the delta's channel: the copy must not be able to change the source, and an interrupt that
 * closed a shared channel would break the image). Tests plug in slow or in-memory sources.
 *
 * <p>Thread-safety: positional reads from one reader thread at a time (one per pass), then the header
 * read on the copy's thread after that reader ended.
 */
interface FileSource extends AutoCloseable {
    /** Reads at {@code pos} into {@code dst}; returns bytes read, -1 at end of file. */
    int read(ByteBuffer dst, long pos) throws IOException;

    @Override
    void close() throws IOException;

    static FileSource open(Path file) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        return new FileSource() {
            @Override
            public int read(ByteBuffer dst, long pos) throws IOException {
                return ch.read(dst, pos);
            }

            @Override
            public void close() throws IOException {
                ch.close();
            }
        };
    }
}
