package dev.jvz.nbd;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Direct buffers for request payloads and read data, reused across requests and connections so the
 * data path allocates nothing per request once warm. Buffers come in power-of-two classes from 4 KiB
 * to {@link Nbd#MAX_REQUEST}; at most {@link #MAX_RETAINED_BYTES} stay cached, the rest go to the GC.
 *
 * <p>Thread-safe: {@link #lock} guards {@link #free} and {@link #retainedBytes}. No allocation or I/O
 * happens under the lock.
 */
final class BufferPool {
    private static final int MIN_SHIFT = 12;
    private static final int MAX_SHIFT = Integer.numberOfTrailingZeros(Nbd.MAX_REQUEST);
    /** Cache cap: a few maximal requests plus many small ones; direct memory beyond it is released. */
    static final long MAX_RETAINED_BYTES = 4L * Nbd.MAX_REQUEST;

    private final ReentrantLock lock = new ReentrantLock();
    @SuppressWarnings("unchecked")
    private final ArrayDeque<ByteBuffer>[] free = new ArrayDeque[MAX_SHIFT + 1];
    private long retainedBytes;

    BufferPool() {
        for (int i = MIN_SHIFT; i <= MAX_SHIFT; i++) {
            free[i] = new ArrayDeque<>();
        }
    }

    /** A direct buffer with position 0 and limit {@code length} (0 ≤ length ≤ MAX_REQUEST). */
    ByteBuffer take(int length) {
        if (length < 0 || length > Nbd.MAX_REQUEST) {
            throw new IllegalArgumentException("length: " + length + " (expected: 0~" + Nbd.MAX_REQUEST + ")");
        }
        int shift = shiftFor(length);
        ByteBuffer b;
        lock.lock();
        try {
            b = free[shift].pollFirst();
            if (b != null) {
                retainedBytes -= b.capacity();
            }
        } finally {
            lock.unlock();
        }
        if (b == null) {
            b = ByteBuffer.allocateDirect(1 << shift);
        }
        return b.clear().limit(length);
    }

    /** Returns a buffer from {@link #take}; null is ignored. */
    void give(ByteBuffer b) {
        if (b == null || !b.isDirect() || Integer.bitCount(b.capacity()) != 1) {
            return;
        }
        int shift = Integer.numberOfTrailingZeros(b.capacity());
        if (shift < MIN_SHIFT || shift > MAX_SHIFT) {
            return;
        }
        lock.lock();
        try {
            if (retainedBytes + b.capacity() <= MAX_RETAINED_BYTES) {
                free[shift].addFirst(b);
                retainedBytes += b.capacity();
            }
        } finally {
            lock.unlock();
        }
    }

    static int shiftFor(int length) {
        int shift = length <= 1 ? 0 : 32 - Integer.numberOfLeadingZeros(length - 1);
        return Math.max(MIN_SHIFT, shift);
    }
}
