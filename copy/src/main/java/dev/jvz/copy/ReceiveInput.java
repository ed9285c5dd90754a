package dev.jvz.copy;

import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The receiver's input side: reads the stream in large pieces into a few pooled buffers and hands
 * payloads on as slices of them, so a data block goes socket → buffer → file with no copy in user
 * space. Where the transport gives a channel ({@link FileInputStream} for pipes, stdin and fds; a
 * {@link SocketChannelInput} from {@link Transports#accept}) the buffers are direct and filled by the
 * channel (one kernel copy into memory the file write then uses as is); any other stream fills heap
 * buffers through {@link InputStream#read(byte[], int, int)}.
 *
 * <p>A slice handed to the file writer keeps its buffer from reuse until the writer releases it
 * ({@link #retain()}); the reader waits for a free buffer when all {@link #POOL} are still being
 * written, which bounds the memory in flight to POOL × {@link #CAPACITY}.
 *
 * <p>Two ways to consume: pull ({@link #ensure}/{@link #peek}/{@link #skip}/{@link #take}: a frame that
 * does not fit behind the read position is moved to a fresh buffer, one copy of the part already read;
 * for jvz frames, whose CRC32C must be checked on the whole block before it is written) and push
 * ({@link #fill()} then consume {@link #peek()}: the legacy decoder keeps its own partial-frame state,
 * so a full buffer is simply replaced, no copy).
 *
 * <p>Thread-safety: one reader thread calls everything except the release actions returned by
 * {@link #retain()}, which the writer thread runs; a buffer's reference count is atomic and the free
 * pool a blocking queue.
 */
final class ReceiveInput implements AutoCloseable {
    /**
     * Bytes per buffer: four 1 MiB jvz blocks with their headers (a frame never spans two buffers
     * without being moved, and a move copies at most one frame), or many small final-pass frames per
     * socket read.
     */
    static final int CAPACITY = 4 << 20;
    /** Buffers: one being filled, the rest waiting for or in the writer (AsyncTargetFile's queue). */
    static final int POOL = 4;
    /**
     * How far {@link #ensure} reads past what it was asked for: enough to take many small frames
     * (final-pass extents) per read, while a large payload is read only to its end, so the next
     * frame's bytes rarely have to be moved to a fresh buffer (a copy).
     */
    static final int READ_AHEAD = 256 * 1024;

    /** Where the bytes come from. */
    interface Source {
        /** Reads at least one byte into {@code dst} (blocking), or returns -1 at end of stream. */
        int read(ByteBuffer dst) throws IOException;
    }

    private static final class Buf {
        final ByteBuffer bb; // [0, fill) holds input; position = next unread byte
        final AtomicInteger refs = new AtomicInteger();
        int fill;

        Buf(ByteBuffer bb) {
            this.bb = bb.order(ByteOrder.LITTLE_ENDIAN);
        }
    }

    private final Source source;
    private final BlockingQueue<Buf> free;
    private Buf cur;
    private boolean eof;

    ReceiveInput(Source source, boolean direct, int capacity, int pool) {
        if (pool < 2) {
            throw new IllegalArgumentException("pool < 2: " + pool); // one being read, one being written
        }
        this.source = source;
        this.free = new ArrayBlockingQueue<>(pool);
        for (int i = 0; i < pool; i++) {
            free.add(new Buf(direct ? ByteBuffer.allocateDirect(capacity) : ByteBuffer.allocate(capacity)));
        }
        this.cur = free.poll();
        cur.refs.set(1);
    }

    /** The fastest way to read {@code in}: its channel when it has one, else the stream into heap buffers. */
    static ReceiveInput of(InputStream in) {
        ReadableByteChannel ch = channelOf(in);
        if (ch != null) {
            return new ReceiveInput(ch::read, true, CAPACITY, POOL);
        }
        return new ReceiveInput(dst -> {
            int n = in.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }, false, CAPACITY, POOL);
    }

    /**
     * The channel under {@code in}, or null. Only streams with no buffer of their own qualify (bytes
     * the stream had read ahead would be skipped by reading its channel), and a socket only without
     * a read timeout.
     */
    static ReadableByteChannel channelOf(InputStream in) {
        if (in instanceof SocketChannelInput s) {
            try {
                // A channel read ignores SO_TIMEOUT: a caller that set one keeps the stream, which honours it.
                return s.channel().socket().getSoTimeout() == 0 ? s.channel() : null;
            } catch (java.net.SocketException e) {
                return null; // closed: the stream reports that on its first read
            }
        }
        if (in != null && in.getClass() == FileInputStream.class) { // a subclass may buffer or filter
            return ((FileInputStream) in).getChannel();
        }
        return null;
    }

    /** Unread bytes in the current buffer. */
    int available() {
        return cur.fill - cur.bb.position();
    }

    /** Buffers neither being read nor held by a slice (for tests). */
    int freeBuffers() {
        return free.size();
    }

    /**
     * Makes {@code n} (at most the buffer capacity) unread bytes contiguous in the current buffer,
     * reading as needed; returns false if the stream ended first ({@link #available()} then says how
     * many there are). Reads no more than the source has ready once {@code n} are there, so a peer
     * that waits for an answer after its last frame is not waited for.
     */
    boolean ensure(int n) throws IOException {
        if (n > cur.bb.capacity()) {
            throw new IllegalArgumentException("n > capacity: " + n);
        }
        if (available() >= n) {
            return true;
        }
        if (cur.bb.capacity() - cur.bb.position() < n) {
            moveToFreshBuffer();
        }
        int limit = cur.bb.position() + Math.max(n, READ_AHEAD);
        while (available() < n) {
            if (readMore(limit) < 0) {
                return false;
            }
        }
        return true;
    }

    /**
     * Starts a fresh buffer when nothing unread is waiting and less than {@code room} bytes are left
     * in the current one: a frame of up to {@code room} bytes then fits without being moved (free: no
     * bytes to copy). Call at a frame boundary.
     */
    void freshIfLessThan(int room) throws IOException {
        if (available() == 0 && cur.bb.position() > 0 && cur.bb.capacity() - cur.bb.position() < room) {
            moveToFreshBuffer();
        }
    }

    /**
     * Push mode: reads once (blocking for at least one byte) unless unread bytes are waiting; a
     * current buffer that is full and fully read is replaced first. Returns {@link #available()}, 0
     * at end of stream.
     */
    int fill() throws IOException {
        if (available() > 0) {
            return available();
        }
        if (cur.fill == cur.bb.capacity()) {
            moveToFreshBuffer();
        }
        return readMore(cur.bb.capacity()) < 0 ? 0 : available();
    }

    /** The unread bytes of the current buffer (a view; position 0 = the next unread byte), little-endian. */
    ByteBuffer peek() {
        return cur.bb.slice(cur.bb.position(), available()).order(ByteOrder.LITTLE_ENDIAN);
    }

    void skip(int n) {
        if (n < 0 || n > available()) {
            throw new IllegalArgumentException("skip " + n + " of " + available());
        }
        cur.bb.position(cur.bb.position() + n);
    }

    /** The next {@code n} unread bytes (must be {@link #ensure ensured}) as a slice; consumes them. */
    ByteBuffer take(int n) {
        ByteBuffer s = cur.bb.slice(cur.bb.position(), n);
        skip(n);
        return s;
    }

    /**
     * Keeps the current buffer (and so every slice taken from it) from reuse until the returned action
     * runs; run it exactly once, from any thread, when the slice is no longer needed.
     */
    Runnable retain() {
        Buf b = cur;
        b.refs.incrementAndGet();
        AtomicInteger once = new AtomicInteger();
        return () -> {
            if (once.getAndIncrement() == 0) {
                release(b);
            }
        };
    }

    private void release(Buf b) {
        if (b.refs.decrementAndGet() == 0) {
            b.bb.clear();
            b.fill = 0;
            free.add(b); // never full: POOL buffers, each in the queue at most once
        }
    }

    /** Reads once into the current buffer, up to buffer index {@code limit} (capped at the capacity). */
    private int readMore(int limit) throws IOException {
        if (eof) {
            return -1;
        }
        ByteBuffer dst = cur.bb.duplicate();
        dst.limit(Math.min(dst.capacity(), Math.max(cur.fill + 1, limit))).position(cur.fill);
        int n = source.read(dst);
        if (n < 0) {
            eof = true;
            return -1;
        }
        if (n == 0) {
            throw new IOException("the input returned no bytes from a blocking read"); // a non-blocking channel
        }
        cur.fill += n;
        return n;
    }

    /** Moves the unread bytes to the start of a free buffer (waiting for one), drops the reader's hold on the old. */
    private void moveToFreshBuffer() throws IOException {
        Buf next;
        try {
            next = free.take();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting for a receive buffer");
        }
        next.refs.set(1);
        int left = available();
        next.bb.clear();
        next.bb.put(0, cur.bb, cur.bb.position(), left);
        next.fill = left;
        Buf old = cur;
        cur = next;
        release(old);
    }

    /** Drops the reader's hold on its buffer; slices still retained stay valid until released. */
    @Override
    public void close() {
        if (cur != null) {
            Buf b = cur;
            cur = null;
            release(b);
        }
    }
}
