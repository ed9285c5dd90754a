package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Token bucket arithmetic with an injected clock (no real sleeping). */
class RateLimiterTest {
    @Test
    void sleepsOffTheDebtBeyondOneBurst() throws Exception {
        long[] now = {0};
        long[] slept = {0};
        RateLimiter l = new RateLimiter(1_000_000, () -> now[0], n -> {
            slept[0] += n;
            now[0] += n;
        });
        l.acquire(100_000); // the first burst (max(64 KiB, 100 KB)) is free
        assertThat(slept[0]).isZero();
        l.acquire(1_000_000); // one second's worth more
        assertThat(slept[0]).isBetween(990_000_000L, 1_010_000_000L);
        now[0] += 10_000_000_000L; // idle 10 s: the bucket refills to one burst only
        slept[0] = 0;
        l.acquire(1_100_000);
        assertThat(slept[0]).isBetween(990_000_000L, 1_010_000_000L);
    }
}
