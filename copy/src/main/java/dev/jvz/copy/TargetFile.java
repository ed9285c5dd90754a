package dev.jvz.copy;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.util.Set;

/**
 * The receiver's destination file, reduced to the calls it makes (positional writes, fdatasync,
 * truncate, read-back for digests), so tests can inject disk-full errors. Not thread-safe.
 */
interface TargetFile extends Closeable {
    void writeFully(ByteBuffer src, long pos) throws IOException;

    /**
     * Writes {@code src} at {@code pos} and runs {@code release} once the file no longer needs the
     * buffer (after the write, or on its failure). A pipelined file may keep {@code src} (no copy) and
     * write it later; its failure is then thrown by a later call. Default: a synchronous write.
     */
    default void writeOwned(ByteBuffer src, long pos, Runnable release) throws IOException {
        try {
            writeFully(src, pos);
        } finally {
            release.run();
        }
    }

    /** fdatasync. */
    void force() throws IOException;

    long size() throws IOException;

    void truncate(long size) throws IOException;

    int read(ByteBuffer dst, long pos) throws IOException;

    /** How the receiver opens its target; tests substitute failing files. */
    @FunctionalInterface
    interface Opener {
        TargetFile open(Path path, Set<? extends OpenOption> options) throws IOException;

        Opener DEFAULT = (path, options) -> new ChannelTarget(FileChannel.open(path, options));
    }

    /** A {@link FileChannel}-backed target. */
    final class ChannelTarget implements TargetFile {
        private final FileChannel ch;

        ChannelTarget(FileChannel ch) {
            this.ch = ch;
        }

        @Override
        public void writeFully(ByteBuffer src, long pos) throws IOException {
            long p = pos;
            while (src.hasRemaining()) {
                p += ch.write(src, p);
            }
        }

        @Override
        public void force() throws IOException {
            ch.force(false);
        }

        @Override
        public long size() throws IOException {
            return ch.size();
        }

        @Override
        public void truncate(long size) throws IOException {
            ch.truncate(size);
        }

        @Override
        public int read(ByteBuffer dst, long pos) throws IOException {
            return ch.read(dst, pos);
        }

        @Override
        public void close() throws IOException {
            ch.close();
        }
    }
}
