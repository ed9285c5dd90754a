package dev.jvz.copy;

import java.nio.charset.StandardCharsets;

/**
 * Constants of the legacy ploop-copy stream (PLOOP-FORMAT.md section 3; ploop lib/pcopy.c:
 * {@code struct xfer_desc}, {@code SYNC_MARK}, {@code STATUS_OK}/{@code STATUS_FAIL}).
 * Every integer on the wire is little-endian.
 */
final class LegacyFormat {
    private LegacyFormat() {}

    /** {@code PLOOPCOPY_MARKER}: first u32 of every frame header. */
    static final int MARKER = 0x4cc0ac3d;

    /** u32 marker + u32 size + u64 pos: the packed {@code struct xfer_desc}. */
    static final int HEADER_SIZE = 4 + 4 + 8;

    /**
     * {@code SYNC_MARK}: a frame whose size is 4 is a "sync now" request. ploop's receiver tests
     * only the size (not the position) and ignores the 4 payload bytes, which the sender fills with
     * the first 4 bytes of the image so that a receiver older than the sync command writes them
     * back harmlessly at offset 0. We decode it the same way (any 4-byte frame is a sync), so a
     * 4-byte data write must never be sent as one frame: {@link LegacyStreamSink} splits it.
     */
    static final int SYNC_SIZE = 4;

    /** A size of 0 ends the stream: the receiver fdatasyncs, closes and exits 0 (no reply). */
    static final int END_SIZE = 0;

    /** Length of a feedback answer: {@code LEN_STATUS}. */
    static final int STATUS_LEN = 8;

    static final byte[] SUCCESS = "SUCCESS\n".getBytes(StandardCharsets.US_ASCII);
    static final byte[] FAILURE = "FAILURE\n".getBytes(StandardCharsets.US_ASCII);

    /**
     * Largest frame payload we accept: the largest ploop cluster (131072 sectors = 64 MiB,
     * PLOOP-FORMAT.md section 1), because ploop's sender reads and sends at most one cluster per
     * frame. ploop's own receiver has no bound (it mallocs the announced size); we refuse more.
     */
    static final int MAX_FRAME_SIZE = 131072 * 512;

    /**
     * How much of a payload the receiver holds in memory at once (payloads are streamed to the
     * file in pieces of at most this size; never a buffer of the announced size). 1 MiB = the
     * default ploop cluster, so a default-sized frame is one positional write.
     */
    static final int CHUNK_SIZE = 1 << 20;

    /** Largest frame the sink emits: the same as what a receiver accepts. */
    static final int MAX_SEND_FRAME = MAX_FRAME_SIZE;
}
