package dev.jvz.copy;

/**
 * Constants of jvz's own copy protocol (see {@code copy/PROTOCOL.md}). One 32-byte LE frame header
 * in both directions; the first u32 tells a jvz receiver which protocol a sender speaks.
 */
final class JvzFormat {
    private JvzFormat() {}

    /**
     * Bytes 'J' 'V' 'Z' '1' on the wire (LE u32 0x315a564a). Differs from every ploop marker
     * (0x4cc0ac3c start, 0x4cc0ac3d legacy data, 0x4cc0ac3e newer data) in every byte, so a legacy
     * receiver rejects our hello at once ("Stream corrupted") instead of writing anything.
     */
    static final int MARKER = 0x315a564a;

    /** marker u32, type u8, flags u8, reserved u16, wireLength u32, rawLength u32, pos u64, crc32c u32, reserved u32. */
    static final int HEADER_SIZE = 4 + 1 + 1 + 2 + 4 + 4 + 8 + 4 + 4;

    static final int VERSION = 1;

    // Frame types, sender -> receiver.
    static final int HELLO = 0x01;
    static final int DATA = 0x02;
    static final int SYNC = 0x03;
    static final int END = 0x04;
    // Frame types, receiver -> sender (feedback channel).
    static final int HELLO_ACK = 0x41;
    static final int SYNC_ACK = 0x42;
    static final int DONE = 0x43;
    static final int ERROR = 0x4f;

    // Frame flags.
    /** DATA payload is one zstd frame that decompresses to rawLength bytes. */
    static final int FLAG_ZSTD = 0x01;
    /** The header's crc32c field holds the CRC32C of the rawLength data bytes. */
    static final int FLAG_CRC = 0x02;
    /** END carries the final file length (pos) and its SHA-256 (payload) to compare. */
    static final int FLAG_DIGEST = 0x04;
    /**
     * With {@link #FLAG_DIGEST}: the digest is the hash list of {@link FinalImage} over ranges of the
     * HELLO's range size, not the whole-file SHA-256 (the sender keeps it up to date during the copy).
     */
    static final int FLAG_DIGEST_LIST = 0x08;
    /** DATA payload is one LZ4 block (no frame) that decompresses to rawLength bytes. */
    static final int FLAG_LZ4 = 0x10;

    // Feature bits in HELLO / HELLO_ACK.
    static final int FEATURE_CRC32C = 0x1;
    static final int FEATURE_ZSTD = 0x2;
    static final int FEATURE_RESUME = 0x4;
    static final int FEATURE_LZ4 = 0x8;
    /**
     * The sender means to end with a hash-list digest ({@link #FLAG_DIGEST_LIST}) over ranges of the
     * HELLO's range size: the receiver may then hash ranges as their data arrives and re-read at END
     * only what it could not hash that way. A hint: without it the receiver reads its whole file back
     * at END, as before; an older receiver leaves the bit out of its answer and does just that.
     */
    static final int FEATURE_HASH_LIST = 0x10;
    static final int SUPPORTED_FEATURES = FEATURE_CRC32C | FEATURE_ZSTD | FEATURE_RESUME | FEATURE_LZ4
            | FEATURE_HASH_LIST;

    /** HELLO payload: u32 version, u32 features, u32 resume range size, u32 reserved. */
    static final int HELLO_SIZE = 16;
    /** HELLO_ACK fixed part: u32 version, u32 features, u64 kept length, u32 range size, u32 count. */
    static final int HELLO_ACK_FIXED = 24;

    /**
     * Largest raw data per DATA frame: 1 MiB, the default ploop cluster. The receiver holds one
     * block in memory to verify its checksum before writing; bigger writes are split by the sink.
     * A compressed block that does not shrink is sent raw, so wireLength never exceeds this either.
     */
    static final int MAX_BLOCK = 1 << 20;

    /** SHA-256 length: the whole-image digest and each resume range digest. */
    static final int DIGEST_LEN = 32;

    /** Longest ERROR message (UTF-8): one readable paragraph; longer text is cut. */
    static final int MAX_ERROR_MESSAGE = 4096;

    /** Resume range size bounds: 64 KiB (smallest ploop cluster is 32 KiB; finer adds digests for little gain) to 1 GiB. */
    static final int MIN_RANGE = 64 * 1024;
    static final int MAX_RANGE = 1 << 30;
    static final int DEFAULT_RANGE = 4 << 20;

    /** At most 2^20 range digests (32 MiB) in a HELLO_ACK; a bigger kept file is not offered for resume. */
    static final int MAX_RANGES = 1 << 20;
}
