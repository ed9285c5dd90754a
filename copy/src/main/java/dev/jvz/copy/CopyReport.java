package dev.jvz.copy;

import java.util.List;

/**
 * What a {@link LiveCopy} did: every pass, the frozen window split into its parts, and totals. Plain
 * records of numbers (and enum names), so Jackson can write it as JSON as is. Times are nanoseconds,
 * bandwidths bytes per second. Immutable.
 *
 * @param fileSize bytes of the image file at the end (the copy's size)
 * @param passes every pass in order: live ones, the pre-freeze one, then the frozen ones
 * @param stopReason why the live passes stopped iterating
 * @param frozen the frozen window
 * @param bytesSent data bytes sent in all passes (the clean header sector not counted)
 * @param totalNanos the whole run, tracker start to thaw, or to the end of the final digest comparison
 * @param verify the final digest both ends compared, null when the copy ran without one
 */
public record CopyReport(long fileSize, List<Pass> passes, StopReason stopReason, Frozen frozen, long bytesSent,
        long totalNanos, Verify verify) {
    public CopyReport {
        passes = List.copyOf(passes);
    }

    /** Where a pass ran. */
    public enum Phase {
        /** Pass 1 (linear) and the dirty passes while the writers run. */
        LIVE,
        /** The one unfrozen pass after the pre-freeze sync, which sends what the sync wrote. */
        PRE_FREEZE,
        /** Final passes with the writers frozen. */
        FROZEN
    }

    /** Why the live passes stopped. */
    public enum StopReason {
        /** A pass ended with nothing dirty. */
        CONVERGED,
        /** The predicted final pass (dirty bytes / measured bandwidth) fits the maximum downtime. */
        FITS_DOWNTIME,
        /** As many dirty passes as ploop allows ran without converging. */
        TOO_MANY_PASSES,
        /** The dirty passes re-sent more than the file size: the writers dirty as fast as we send. */
        RESENT_MORE_THAN_FILE
    }

    /**
     * One pass.
     *
     * @param number 1-based; pass 1 reads the whole file linearly
     * @param phase live, pre-freeze or frozen
     * @param bytes bytes read and sent
     * @param nanos wall time of the pass (read and send overlap)
     * @param bandwidth bytes / seconds of this pass (0 for an empty or instant pass)
     * @param dirtyBytesAtEnd bytes dirty when the pass ended
     * @param dirtyRate dirtyBytesAtEnd / pass seconds: how fast the writers dirty the file (0 if instant)
     */
    public record Pass(int number, Phase phase, long bytes, long nanos, double bandwidth, long dirtyBytesAtEnd,
            double dirtyRate) {
    }

    /**
     * The final digest both ends compared (copy/PROTOCOL.md, "Final digest").
     *
     * @param sha256 hex of the digest: the hash list over {@code rangeSize} ranges of the copy
     * @param rangeSize bytes per range of the hash list
     * @param preFreezeNanos re-hashing the ranges the live passes left invalid, before the freeze
     * @param preFreezeBytes bytes read for that
     * @param frozenBytes bytes read to re-hash ranges while frozen (the header range, the last range,
     *     and what the final passes touched)
     * @param compareNanos after the thaw: the end of the stream until the receiver answered that its
     *     copy has the same digest (it reads the whole copy for that)
     */
    public record Verify(String sha256, int rangeSize, long preFreezeNanos, long preFreezeBytes, long frozenBytes,
            long compareNanos) {
    }

    /**
     * The frozen window, from the start of {@link FreezeStep#freeze()} to the end of
     * {@link FreezeStep#thaw()}.
     *
     * @param freezeNanos the freeze step itself (stop command, syncfs, FIFREEZE)
     * @param finalPassNanos the frozen passes and the clean header sector
     * @param digestNanos re-hashing the ranges of the final digest that changed while frozen (0 without a digest)
     * @param syncNanos the receiver makes the copy durable and acknowledges: {@link CopySink#finish()},
     *     or with a final digest {@link CopySink#sync()} (the comparison follows the thaw)
     * @param thawNanos the thaw step
     * @param totalNanos the whole window
     * @param finalBytes bytes sent while frozen, header sector included
     */
    public record Frozen(long freezeNanos, long finalPassNanos, long digestNanos, long syncNanos, long thawNanos,
            long totalNanos, long finalBytes) {
    }
}
