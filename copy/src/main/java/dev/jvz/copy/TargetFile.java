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
     * so the next {@link #force()} finds little left to write (errors still surface there). Default:
     * nothing.
     */
    default void startWriteback() {}

    long size() throws IOException;

    void truncate(long size) throws IOException;

    int read(ByteBuffer dst, long pos) throws IOException;

    /**
     * The largest single write(2) a {@link ChannelTarget} makes. A jvz block arrives as one 1 MiB slice
     * at a 1 MiB-aligned offset, and on the test machine (kernel 6.18, ext4 on virtio) one 1 MiB pwrite
     * into a fresh file's page cache cost about 5x the CPU of four 256 KiB ones: 2.6 s against 0.48 s of
     * the writer thread for 2 GiB, all of it in the kernel's copy into the page cache
     * ({@code copy_folio_from_iter_atomic}); 512 KiB cost 1.1 s, 128 KiB 0.48 s. It held the jvz
     * protocol's pass 1 at ~600 MiB/s against legacy's ~1500 (whose writes are whatever each socket read
     * brought, mostly unaligned and smaller). Not seen on tmpfs, nor from a single-threaded writer of
     * the same pattern; the kernel mechanism (large page-cache folios sized by the write, presumably) is
     * not pinned down. The cost of the split: 4 system calls per MiB instead of 1, no copy.
     * BENCHMARKS.md, live copy, "Pass 1 after the receiver's write split".
     */
    int WRITE_PIECE = 256 * 1024;

    /** Positional write as FileChannel has it: returns the bytes written. */
    @FunctionalInterface
    interface PositionalWriter {
        int write(ByteBuffer src, long pos) throws IOException;
    }

    /**
     * Writes all of {@code src} at {@code pos} in calls of at most {@link #WRITE_PIECE} bytes (views of
     * {@code src}, no copy); {@code src}'s position advances by what was written, also on failure.
     */
    static void writeInPieces(ByteBuffer src, long pos, PositionalWriter out) throws IOException {
        long p = pos;
        while (src.hasRemaining()) {
            int n = Math.min(src.remaining(), WRITE_PIECE);
            ByteBuffer piece = src.slice(src.position(), n);
            int w = out.write(piece, p);
            src.position(src.position() + w);
            p += w;
        }
    }

    /** How the receiver opens its target; tests substitute failing files. */
    @FunctionalInterface
    interface Opener {
        TargetFile open(Path path, Set<? extends OpenOption> options) throws IOException;

        Opener DEFAULT = (path, options) -> {
            FileChannel ch = FileChannel.open(path, options);
            return new ChannelTarget(ch, path);
        };
    }

    /**
     * A {@link FileChannel}-backed target. {@link #startWriteback()} hands a {@link WritebackHint} to a
     * daemon thread (submitting the write-out of 64 MiB of pages takes a few milliseconds, which the
     * writer thread does not wait for). That thread also opens the hint, on the first request: in a
     * fresh JVM the native linker's start-up made opening the target take 86-131 ms, and a jvz sender
     * waits for the HELLO answer, which comes after the open (BENCHMARKS.md, live copy, session 2 later).
     *
     * <p>Not thread-safe for its callers (one writer thread); {@link #lock} guards the hint thread's state;
     * {@link #hint} belongs to the hint thread until {@link #close()} has joined it.
     */
    final class ChannelTarget implements TargetFile {
        private final FileChannel ch;
        private final Path path;
        private WritebackHint hint; // see the class comment
        private final Object lock = new Object();
        private Thread hinter;      // guarded by lock; started on the first startWriteback
        private boolean requested;  // guarded by lock
        private boolean closing;    // guarded by lock

        ChannelTarget(FileChannel ch, Path path) {
            this.ch = ch;
            this.path = path;
        }

        @Override
        public void writeFully(ByteBuffer src, long pos) throws IOException {
            writeInPieces(src, pos, ch::write);
        }

        /** For tests: whether the hint was opened; call only before the first {@link #startWriteback()}. */
        boolean hintOpened() {
            return hint != null;
        }

        @Override
        public void force() throws IOException {
            ch.force(false);
        }

        @Override
        public void startWriteback() {
            synchronized (lock) {
                if (closing) {
                    return;
                }
                requested = true;
                if (hinter == null) {
                    hinter = Thread.ofPlatform().name("jvz-copy-writeback").daemon(true).start(this::hintLoop);
                }
                lock.notifyAll();
            }
        }

        private void hintLoop() {
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
                if (hint == null) {
                    hint = WritebackHint.open(path); // does nothing where it cannot work
                }
                hint.start();
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

        /** Stops the hint thread (waiting for a hint in progress, which uses the descriptor), then closes. */
        @Override
        public void close() throws IOException {
            Thread h;
            synchronized (lock) {
                closing = true;
                h = hinter;
                lock.notifyAll();
            }
            if (h != null) {
                try {
                    h.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            if (hint != null) {
                hint.close();
            }
            ch.close();
        }
    }
}
