package dev.jvz.image;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Overlaps the two halves of a bulk copy (import, export): a reader thread fills chunk buffers ahead
 * while the calling thread writes the previous ones, so a copy takes about max(read, write) per chunk
 * instead of read + write (the same shape as ploop's pcopy with two buffers and a sender thread).
 *
 * <p>The reader is never interrupted: an interrupt would close the {@link FileChannel} it is reading
 * (ClosedByInterruptException), and the channel may belong to an image the caller keeps using. It
 * polls a cancel flag instead.
 *
 * <p>Thread-safety: one {@link #run} per instance; the two threads hand chunks over through the two
 * blocking queues only, so a chunk is touched by one thread at a time.
 */
final class CopyPipeline {
    /**
     * Chunk size target: large enough that per-chunk costs (queue hand-over, syscalls) vanish next to
     * the I/O, small enough that three buffers stay a few MiB. A chunk is whole clusters, at least one.
     */
    static final int CHUNK_TARGET = 4 << 20;
    /** Buffers in flight: one being read, one being written, one spare so neither side waits on a hand-over. */
    static final int DEPTH = 3;
    private static final long POLL_MILLIS = 50;

    /** One unit of work: a buffer of whole clusters starting at a virtual offset. */
    static final class Chunk {
        final ByteBuffer buf;
        /** Per cluster of the chunk: true when it may hold data (false = known zeros, nothing was read). */
        final boolean[] mapped;
        long offset;
        int length;
        boolean last;

        Chunk(int bytes, int clusters) {
            this.buf = ByteBuffer.allocateDirect(bytes);
            this.mapped = new boolean[clusters];
        }
    }

    /** Fills {@code c} (buffer, offset, length, mapped) for the chunk at {@code offset}. */
    @FunctionalInterface
    interface Fill {
        void fill(Chunk c, long offset, int length) throws IOException;
    }

    /** Consumes a filled chunk on the calling thread. */
    @FunctionalInterface
    interface Drain {
        void drain(Chunk c) throws IOException;
    }

    private final long total;
    private final int chunkBytes;
    private final int clustersPerChunk;
    private final BlockingQueue<Chunk> free = new ArrayBlockingQueue<>(DEPTH);
    private final BlockingQueue<Chunk> full = new ArrayBlockingQueue<>(DEPTH + 1);
    private volatile boolean cancelled;
    /** Written by the reader before it queues {@link #END}; read by the caller after taking it. */
    private volatile Throwable readFailure;
    private static final Chunk END = new Chunk(0, 0);

    /**
     * @param total bytes to copy, from offset 0
     * @param clusterBytes chunks hold whole clusters of this size
     */
    CopyPipeline(long total, long clusterBytes) {
        this.total = total;
        long perChunk = Math.max(1, CHUNK_TARGET / clusterBytes);
        this.clustersPerChunk = (int) perChunk;
        this.chunkBytes = (int) (perChunk * clusterBytes);
    }

    int chunkBytes() {
        return chunkBytes;
    }

    /** Runs the copy: {@code fill} on a reader thread, {@code drain} on this one, chunks in offset order. */
    void run(Fill fill, Drain drain) throws IOException {
        for (int i = 0; i < DEPTH; i++) {
            free.add(new Chunk(chunkBytes, clustersPerChunk));
        }
        Thread reader = Thread.ofPlatform().name("jvz-copy-reader").daemon().start(() -> readLoop(fill));
        boolean ok = false;
        try {
            while (true) {
                Chunk c = full.take();
                if (c == END) {
                    Throwable t = readFailure;
                    if (t != null) {
                        throw rethrow(t);
                    }
                    break;
                }
                drain.drain(c);
                free.add(c);
            }
            ok = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("copy interrupted");
        } finally {
            if (!ok) {
                cancelled = true;
            }
            joinUninterruptibly(reader);
        }
    }

    private void readLoop(Fill fill) {
        try {
            for (long off = 0; off < total && !cancelled; ) {
                Chunk c = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (c == null) {
                    continue;
                }
                int n = (int) Math.min(chunkBytes, total - off);
                c.offset = off;
                c.length = n;
                c.buf.clear().limit(n);
                java.util.Arrays.fill(c.mapped, true);
                fill.fill(c, off, n);
                c.buf.position(0).limit(n);
                off += n;
                c.last = off >= total;
                full.put(c);
            }
        } catch (Throwable t) {
            readFailure = t;
        } finally {
            // full has room for every buffer plus END, so this never blocks.
            full.add(END);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static IOException rethrow(Throwable t) {
        if (t instanceof IOException io) {
            return io;
        }
        if (t instanceof UncheckedIOException u) {
            return u.getCause();
        }
        if (t instanceof RuntimeException r) {
            throw r;
        }
        if (t instanceof Error e) {
            throw e;
        }
        return new IOException("copy reader failed", t);
    }
}
