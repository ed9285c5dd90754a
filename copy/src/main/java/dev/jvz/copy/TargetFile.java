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

    /**
     * Hint: much has been written since the last call; start writing it back now, in the background,
     * so the next {@link #force()} finds little left to write. A failure of that writeback is thrown
     * by the next {@link #force()}. Default: nothing.
     */
    default void startWriteback() {}

    long size() throws IOException;

    void truncate(long size) throws IOException;

    int read(ByteBuffer dst, long pos) throws IOException;

    /** How the receiver opens its target; tests substitute failing files. */
    @FunctionalInterface
    interface Opener {
        TargetFile open(Path path, Set<? extends OpenOption> options) throws IOException;

        Opener DEFAULT = (path, options) -> new ChannelTarget(FileChannel.open(path, options));
    }

    /**
     * A {@link FileChannel}-backed target. {@link #startWriteback()} wakes a daemon thread that
     * fdatasyncs the channel while the writes go on (FileChannel's positional writes and force may run
     * concurrently): without it the kernel starts writing a fresh multi-GiB copy back only at the
     * receiver's fdatasync (the dirty limits are a tenth of RAM, the expiry 30 s), so the copy first
     * filled the page cache and then waited for the whole disk write.
     *
     * <p>Not thread-safe for its callers (one writer thread); {@link #lock} guards the flusher's state.
     */
    final class ChannelTarget implements TargetFile {
        private final FileChannel ch;
        private final Object lock = new Object();
        private Thread flusher;         // guarded by lock; started on the first startWriteback
        private boolean requested;      // guarded by lock
        private boolean closing;        // guarded by lock
        private IOException bgFailure;  // guarded by lock: the first background fdatasync failure

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
            // A writeback error is reported to one fdatasync of the open file only: if the background
            // one got it, this one may succeed although the data is not on disk.
            synchronized (lock) {
                if (bgFailure != null) {
                    throw new IOException("writing the copy back to disk failed: " + bgFailure.getMessage(), bgFailure);
                }
            }
        }

        @Override
        public void startWriteback() {
            synchronized (lock) {
                if (closing) {
                    return;
                }
                requested = true;
                if (flusher == null) {
                    flusher = Thread.ofPlatform().name("jvz-copy-writeback").daemon(true).start(this::flushLoop);
                }
                lock.notifyAll();
            }
        }

        private void flushLoop() {
            while (true) {
                synchronized (lock) {
                    while (!requested && !closing) {
                        try {
                            lock.wait();
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    if (closing) {
                        return;
                    }
                    requested = false;
                }
                try {
                    ch.force(false);
                } catch (IOException e) {
                    synchronized (lock) {
                        if (bgFailure == null) {
                            bgFailure = e;
                        }
                    }
                }
            }
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

        /** Waits for a background fdatasync in progress (closing under it would fail it), then closes. */
        @Override
        public void close() throws IOException {
            Thread f;
            synchronized (lock) {
                closing = true;
                f = flusher;
                lock.notifyAll();
            }
            if (f != null) {
                try {
                    f.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            ch.close();
        }
    }
}
