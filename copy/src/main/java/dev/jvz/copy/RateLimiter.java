package dev.jvz.copy;

import java.io.InterruptedIOException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Token bucket for {@code --bwlimit}: {@code bytesPerSecond} tokens a second, at most one burst
 * (a tenth of a second's worth, at least 64 KiB) saved up while idle. {@link #acquire} may go into
 * debt and then sleeps the debt off, so large writes need no splitting. Not thread-safe: the
 * sender's one writing thread calls it.
 */
final class RateLimiter {
    /** Smallest burst: one typical socket write, so small limits still make progress smoothly. */
    private static final long MIN_BURST = 64 * 1024;

    interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    /**
     * The clock a limiter reads and how it sleeps: the system's, or a fake pair in tests, which then
     * prove the pacing by the time it asked to sleep instead of by wall time.
     */
    record Pacing(LongSupplier clock, Sleeper sleeper) {
        static final Pacing SYSTEM = new Pacing(System::nanoTime, TimeUnit.NANOSECONDS::sleep);
    }

    private final long bytesPerSecond;
    private final long burst;
    private final LongSupplier nanoClock;
    private final Sleeper sleeper;
    private double tokens;
    private long last;

    RateLimiter(long bytesPerSecond) {
        this(bytesPerSecond, Pacing.SYSTEM);
    }

    RateLimiter(long bytesPerSecond, Pacing pacing) {
        this(bytesPerSecond, pacing.clock(), pacing.sleeper());
    }

    RateLimiter(long bytesPerSecond, LongSupplier nanoClock, Sleeper sleeper) {
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bytesPerSecond <= 0: " + bytesPerSecond);
        }
        this.bytesPerSecond = bytesPerSecond;
        this.burst = Math.max(MIN_BURST, bytesPerSecond / 10);
        this.nanoClock = nanoClock;
        this.sleeper = sleeper;
        this.last = nanoClock.getAsLong();
        this.tokens = burst;
    }

    void acquire(long bytes) throws InterruptedIOException {
        long now = nanoClock.getAsLong();
        tokens = Math.min(burst, tokens + (now - last) * (double) bytesPerSecond / 1e9);
        last = now;
        tokens -= bytes;
        if (tokens < 0) {
            long nanos = (long) (-tokens * 1e9 / bytesPerSecond);
            try {
                sleeper.sleepNanos(nanos);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                InterruptedIOException ie = new InterruptedIOException("interrupted while rate limiting");
                ie.initCause(e);
                throw ie;
            }
        }
    }
}
