package dev.jvz.copy;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A receiver's target file whose writes run on their own thread, so reading the next frames from the
 * socket overlaps writing the last ones to the file: a block then costs max(Tread, Twrite), not the sum
 * (the benchmark showed the single-threaded receiver, not the sender, limiting a copy).
 *
 * <p>{@link #writeOwned} queues the caller's buffer itself (the channel receiver's direct read
 * buffers: no copy); {@link #writeFully} copies into one of {@link #DEPTH} pooled direct buffers (the
 * copy a heap buffer costs anyway inside FileChannel) and queues that. Every other operation first
 * waits until the queue is empty, so fdatasync covers everything written before it. A write that
 * failed on the writer thread (e.g. ENOSPC) is thrown by the next call on this file; later queued
 * writes are skipped but still released.
 *
 * <p>Thread-safety: called by one receiver thread; the writer thread only takes from the queue and
 * runs each job's release. {@link #failure} is written by the writer and read by the caller (volatile).
 */
final class AsyncTargetFile implements TargetFile {
    /** Buffers in flight: one being written, the rest filled by the reader meanwhile. */
    static final int DEPTH = 4;
    /** A write larger than this is split; the receiver hands over at most one read buffer at a time. */
    static final int BUFFER = 1 << 20;

    /**
     * Queued jobs: the final pass sends thousands of 4 KiB extents, and a short queue made the reader
     * and the writer hand over (a thread wake-up) on every one; the memory in flight is bounded by the
     * buffer pools (ours and the caller's), not by this.
     */
    static final int QUEUE = 1024;

    /**
     * Bytes written between two {@link TargetFile#startWriteback()} hints: the disk then writes a
     * multi-GiB copy while it arrives instead of all of it at the end; 64 MiB keeps the hints to a few
     * per second at disk speed.
     */
    static final long WRITEBACK_BYTES = 64L << 20;

    /** A write of {@code data} at {@code pos} (then {@code release}), or a barrier ({@code done}). */
    private record Job(long pos, ByteBuffer data, Runnable release, Runnable done) {}

    private static final Job STOP = new Job(-1, null, null, null);

    private final TargetFile file;
    private final BlockingQueue<Job> queue = new ArrayBlockingQueue<>(QUEUE);
    private final BlockingQueue<ByteBuffer> free = new ArrayBlockingQueue<>(DEPTH);
    private final Thread writer;
    private volatile IOException failure;
    /** Writer thread only: bytes written since the last writeback hint. */
    private long sinceWriteback;
    /** Caller thread only: whether {@link #failure} itself was thrown already. */
    private boolean failureReported;
    private boolean closed;

    AsyncTargetFile(TargetFile file) {
        this.file = file;
        for (int i = 0; i < DEPTH; i++) {
            free.add(ByteBuffer.allocateDirect(BUFFER));
        }
        this.writer = Thread.ofPlatform().name("jvz-copy-writer").daemon(true).start(this::writeLoop);
    }

    private void writeLoop() {
        while (true) {
            Job j;
            try {
                j = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (j == STOP) {
                return;
            }
            if (j.done() != null) {
                j.done().run();
                continue;
            }
            try {
                if (failure == null) {
                    int n = j.data().remaining();
                    file.writeFully(j.data(), j.pos());
                    sinceWriteback += n;
                    if (sinceWriteback >= WRITEBACK_BYTES) {
                        sinceWriteback = 0;
                        file.startWriteback();
                    }
                }
            } catch (IOException | RuntimeException e) {
                failure = e instanceof IOException io ? io : new IOException(e.getMessage(), e);
            } finally {
                j.release().run();
            }
        }
    }

    @Override
    public void writeFully(ByteBuffer src, long pos) throws IOException {
        rethrow();
        while (src.hasRemaining()) {
            ByteBuffer b = take();
            int n = Math.min(src.remaining(), b.capacity());
            b.clear();
            b.put(src.slice(src.position(), n));
            b.flip();
            put(new Job(pos, b, () -> free.add(b), null));
            src.position(src.position() + n);
            pos += n;
        }
    }

    @Override
    public void writeOwned(ByteBuffer src, long pos, Runnable release) throws IOException {
        try {
            rethrow();
            put(new Job(pos, src, release, null));
        } catch (IOException | RuntimeException e) {
            release.run(); // not queued: the writer will never release it
            throw e;
        }
    }

    /** Waits until every queued write has reached the file; then throws a write's failure, if any. */
    private void drain() throws IOException {
        java.util.concurrent.CountDownLatch l = new java.util.concurrent.CountDownLatch(1);
        put(new Job(0, null, null, l::countDown));
        try {
            l.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for the copy's writes");
        }
        rethrow();
    }

    /**
     * Throws the writer's failure: the original the first time, then a new exception with it as the
     * cause (a caller that adds a later one as suppressed to the first must not suppress it in itself).
     */
    private void rethrow() throws IOException {
        IOException f = failure;
        if (f != null) {
            if (!failureReported) {
                failureReported = true;
                throw f;
            }
            throw new IOException(f.getMessage(), f);
        }
    }

    private ByteBuffer take() throws IOException {
        try {
            return free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a write buffer");
        }
    }

    private void put(Job j) throws IOException {
        try {
            queue.put(j);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while queueing a write");
        }
    }

    @Override
    public void force() throws IOException {
        drain();
        file.force();
    }

    @Override
    public long size() throws IOException {
        drain();
        return file.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        drain();
        file.truncate(size);
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        drain();
        return file.read(dst, pos);
    }

    /** Lets queued writes finish (their failure is kept for {@link #close()}), stops the writer, closes. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        try {
            drain();
        } catch (IOException e) {
            first = e;
        }
        queue.add(STOP);
        try {
            writer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            file.close();
        } catch (IOException e) {
            if (first == null) {
                first = e;
            } else {
                first.addSuppressed(e);
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
