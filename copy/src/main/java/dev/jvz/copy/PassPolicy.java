package dev.jvz.copy;

import dev.jvz.copy.CopyReport.StopReason;
import java.time.Duration;

/**
 * Decides after each live pass whether to iterate again (PLOOP-FORMAT.md section 3). ploop's rules:
 * stop when nothing is dirty, after {@link #MAX_DIRTY_PASSES} dirty passes (its wrap-around limit), or
 * when the dirty passes have re-sent more than the file size (the writers dirty as fast as we send,
 * so more passes would not shrink the final one). jvz's addition: with a maximum downtime, stop as
 * soon as the final pass is predicted to fit it: dirty bytes / measured send bandwidth.
 *
 * <p>Pure and immutable: the caller passes the figures in.
 */
record PassPolicy(Duration maxDowntime) {
    /** ploop's limit on dirty passes (wrap-arounds) while the writers run. */
    static final int MAX_DIRTY_PASSES = 10;

    /**
     * @param dirtyPasses dirty passes done so far (pass 1, the linear one, not counted)
     * @param resentBytes bytes sent by those dirty passes
     * @param fileSize the image file's size now
     * @param dirtyBytes bytes dirty now
     * @param sentBytes bytes sent by all live passes so far
     * @param sendNanos wall time of all live passes so far
     * @return why to stop, or null to run another pass
     */
    StopReason decide(int dirtyPasses, long resentBytes, long fileSize, long dirtyBytes, long sentBytes,
            long sendNanos) {
        if (dirtyBytes == 0) {
            return StopReason.CONVERGED;
        }
        if (maxDowntime != null && predictedNanos(dirtyBytes, sentBytes, sendNanos) <= maxDowntime.toNanos()) {
            return StopReason.FITS_DOWNTIME;
        }
        if (dirtyPasses >= MAX_DIRTY_PASSES) {
            return StopReason.TOO_MANY_PASSES;
        }
        if (resentBytes > fileSize) {
            return StopReason.RESENT_MORE_THAN_FILE;
        }
        return null;
    }

    /**
     * Time to send {@code dirtyBytes} at the bandwidth measured over all live passes (their total bytes
     * over their total time, which smooths out small passes dominated by per-pass costs); 0 before
     * anything was measured (no time has passed: as fast as it gets).
     */
    static long predictedNanos(long dirtyBytes, long sentBytes, long sendNanos) {
        if (sendNanos <= 0 || sentBytes <= 0) {
            return sendNanos <= 0 ? 0 : Long.MAX_VALUE;
        }
        double nanos = (double) dirtyBytes * sendNanos / sentBytes;
        return nanos >= Long.MAX_VALUE ? Long.MAX_VALUE : (long) nanos;
    }
}
