package dev.jvz.node;

/**
 * What a live copy of a disk's top delta should do ({@code jvz ploop copy -s ...}): exactly one
 * destination, plus the sender's options. Sent to the node as part of a {@code copy} request, so it
 * maps one-to-one to JSON. Immutable.
 *
 * @param file {@code -d FILE}: write the copy to this local file (must not exist)
 * @param to {@code --to HOST:PORT}: connect to a receiver ({@code jvz ploop copy -d FILE --listen ...})
 * @param relay the stream runs over the CLI's inherited descriptors ({@code -o FD [-f FD]}): the node
 *     listens on {@link CopyJob#relaySocket} and the CLI pumps bytes between its descriptors and that socket
 * @param legacy speak ploop's legacy stream only (no jvz hello): for a ploop receiver on descriptors
 * @param compress compress each block (jvz protocol only), with {@code codec}
 * @param bwlimit bytes per second, 0 = unlimited
 * @param maxDowntimeMillis stop iterating once the final pass is predicted to fit; null = no limit
 * @param granularity dirty-tracking unit in bytes; null = the default
 * @param stopCommand {@code -F STOPCMD}: run with {@code sh -c} to stop the writers before the final pass
 * @param stopTimeoutSeconds how long the stop command may run; null = {@link #DEFAULT_STOP_TIMEOUT_SECONDS}
 * @param feedback a relayed stream has the receiver's answers ({@code -f FD}); without, only the
 *     legacy protocol works (ploop's sender without feedback: no sync acknowledgements)
 * @param digest end with the final digest both ends compare ({@code --digest}/{@code --no-digest});
 *     null = the default: on for the jvz protocol, off for a local file (nothing travels) and for the
 *     legacy stream (it has none). A receiver that offers a kept copy to resume from needs it.
 * @param codec {@code zstd} or {@code lz4} when {@code compress}; null = zstd
 */
public record CopySpec(String file, String to, boolean relay, boolean legacy, boolean compress, long bwlimit,
        Long maxDowntimeMillis, Integer granularity, String stopCommand, Long stopTimeoutSeconds,
        boolean feedback, Boolean digest, String codec) {
    /** A stop command suspends a container (freezer cgroup, runc pause): seconds, a minute at worst. */
    public static final long DEFAULT_STOP_TIMEOUT_SECONDS = 60;

    public CopySpec {
        int n = (file != null ? 1 : 0) + (to != null ? 1 : 0) + (relay ? 1 : 0);
        if (n != 1) {
            throw new IllegalArgumentException("a copy needs exactly one destination (file, to, or relay), got " + n);
        }
        if (bwlimit < 0) {
            throw new IllegalArgumentException("bwlimit < 0: " + bwlimit);
        }
        if (compress && legacy) {
            throw new IllegalArgumentException("compression needs the jvz protocol; drop --legacy or --compress");
        }
        if (relay && !feedback && !legacy) {
            throw new IllegalArgumentException("a stream without feedback needs the legacy protocol (--legacy)");
        }
        if (stopTimeoutSeconds != null && stopTimeoutSeconds <= 0) {
            throw new IllegalArgumentException("stopTimeoutSeconds: " + stopTimeoutSeconds + " (expected: > 0)");
        }
        if (codec != null && !codec.equals("zstd") && !codec.equals("lz4")) {
            throw new IllegalArgumentException("codec: '" + codec + "' (expected: zstd or lz4)");
        }
        if (Boolean.TRUE.equals(digest) && legacy) {
            throw new IllegalArgumentException("ploop's legacy stream has no final digest; drop --legacy or --digest");
        }
    }

    /** Without a {@code digest} choice: the default. */
    public CopySpec(String file, String to, boolean relay, boolean legacy, boolean compress, long bwlimit,
            Long maxDowntimeMillis, Integer granularity, String stopCommand, Long stopTimeoutSeconds,
            boolean feedback) {
        this(file, to, relay, legacy, compress, bwlimit, maxDowntimeMillis, granularity, stopCommand,
                stopTimeoutSeconds, feedback, null, null);
    }

    /** The jvz protocol's compression, null for none. */
    public dev.jvz.copy.JvzOptions.Codec compression() {
        if (!compress) {
            return null;
        }
        return "lz4".equals(codec) ? dev.jvz.copy.JvzOptions.Codec.LZ4 : dev.jvz.copy.JvzOptions.Codec.ZSTD;
    }
}
