package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.copy.CopyReport.StopReason;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class PassPolicyTest {
    private static final long MB = 1 << 20;
    private static final long SEC = 1_000_000_000L;

    @Test
    void nothingDirtyConverges() {
        assertThat(new PassPolicy(null).decide(3, 10 * MB, 100 * MB, 0, 110 * MB, SEC)).isEqualTo(StopReason.CONVERGED);
    }

    @Test
    void dirtyAndUnderTheLimitsIterates() {
        assertThat(new PassPolicy(null).decide(3, 10 * MB, 100 * MB, MB, 110 * MB, SEC)).isNull();
    }

    @Test
    void tenDirtyPassesStop() {
        PassPolicy p = new PassPolicy(null);
        assertThat(p.decide(PassPolicy.MAX_DIRTY_PASSES - 1, MB, 100 * MB, MB, 100 * MB, SEC)).isNull();
        assertThat(p.decide(PassPolicy.MAX_DIRTY_PASSES, MB, 100 * MB, MB, 100 * MB, SEC))
                .isEqualTo(StopReason.TOO_MANY_PASSES);
    }

    @Test
    void resendingMoreThanTheFileStops() {
        PassPolicy p = new PassPolicy(null);
        assertThat(p.decide(2, 100 * MB, 100 * MB, MB, 200 * MB, SEC)).isNull();
        assertThat(p.decide(2, 100 * MB + 1, 100 * MB, MB, 200 * MB, SEC)).isEqualTo(StopReason.RESENT_MORE_THAN_FILE);
    }

    @Test
    void predictedFinalPassWithinMaxDowntimeStops() {
        // 100 MB in 1 s = 100 MB/s; 10 MB dirty -> 100 ms.
        assertThat(new PassPolicy(Duration.ofMillis(100)).decide(1, 0, 100 * MB, 10 * MB, 100 * MB, SEC))
                .isEqualTo(StopReason.FITS_DOWNTIME);
        assertThat(new PassPolicy(Duration.ofMillis(99)).decide(1, 0, 100 * MB, 10 * MB, 100 * MB, SEC)).isNull();
        assertThat(new PassPolicy(null).decide(1, 0, 100 * MB, 10 * MB, 100 * MB, SEC)).isNull();
    }

    @Test
    void prediction() {
        assertThat(PassPolicy.predictedNanos(10 * MB, 100 * MB, SEC)).isEqualTo(SEC / 10);
        assertThat(PassPolicy.predictedNanos(10 * MB, 100 * MB, 0)).as("nothing measured yet: instant").isZero();
        assertThat(PassPolicy.predictedNanos(10 * MB, 0, SEC)).as("time passed but nothing sent")
                .isEqualTo(Long.MAX_VALUE);
    }
}
