package dev.jvz.copy;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.BitSet;
import java.util.List;

/**
 * What a receiver already holds from a kept partial copy: its length and the SHA-256 of each
 * {@code rangeSize} range (the last one may be short). Immutable.
 *
 * <p>Use: before pass 1 (with tracking already on, so later changes show up as dirty), call
 * {@link #matchingRanges}; pass 1 skips every range whose bit is set. Anything that still differs
 * is caught by the final whole-image digest.
 */
public record ResumeInfo(long keptLength, int rangeSize, List<byte[]> digests) {
    public static final ResumeInfo NONE = new ResumeInfo(0, JvzFormat.DEFAULT_RANGE, List.of());

    public ResumeInfo {
        digests = List.copyOf(digests);
    }

    /** Ranges whose bytes in {@code source} hash to what the receiver holds (bit i = range i). */
    public BitSet matchingRanges(FileChannel source) throws IOException {
        BitSet same = new BitSet(digests.size());
        long srcSize = source.size();
        for (int i = 0; i < digests.size(); i++) {
            long start = (long) i * rangeSize;
            long len = Math.min(rangeSize, keptLength - start);
            if (start + len > srcSize) {
                break; // the source does not have this range in full; resend it
            }
            if (MessageDigest.isEqual(Digests.sha256(source, start, len), digests.get(i))) {
                same.set(i);
            }
        }
        return same;
    }
}
