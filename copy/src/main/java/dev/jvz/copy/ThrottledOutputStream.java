package dev.jvz.copy;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;

/** Output stream paced by a {@link RateLimiter}; not thread-safe (one writer). */
final class ThrottledOutputStream extends FilterOutputStream {
    private final RateLimiter limiter;

    ThrottledOutputStream(OutputStream out, RateLimiter limiter) {
        super(out);
        this.limiter = limiter;
    }

    @Override
    public void write(int b) throws IOException {
        limiter.acquire(1);
        out.write(b);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        limiter.acquire(len);
        out.write(b, off, len);
    }

    static OutputStream wrap(OutputStream out, long bytesPerSecond) {
        return wrap(out, bytesPerSecond, RateLimiter.Pacing.SYSTEM);
    }

    static OutputStream wrap(OutputStream out, long bytesPerSecond, RateLimiter.Pacing pacing) {
        return bytesPerSecond > 0 ? new ThrottledOutputStream(out, new RateLimiter(bytesPerSecond, pacing)) : out;
    }
}
