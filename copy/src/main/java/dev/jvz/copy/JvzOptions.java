package dev.jvz.copy;

/**
 * What a jvz sender asks for. Immutable.
 *
 * @param checksums CRC32C per block, verified by the receiver (default on)
 * @param compress compress each block with {@code codec} (default off: image clusters over a LAN rarely pay for it)
 * @param zstdLevel zstd level when compressing (default 1: fastest)
 * @param bwlimitBytesPerSecond pace the stream; 0 = unlimited
 * @param resume ask the receiver for the digests of a kept partial file
 * @param resumeRangeSize bytes per resume digest range
 * @param finalImage computes the final file's length and SHA-256 for {@link CopySink#finish()};
 *     null = finish without a whole-image comparison (the receiver's digest is still reported)
 * @param codec the compression when {@code compress}: zstd (default; smaller) or lz4 (faster, lighter on CPU)
 * @param hashList announce that the copy will end with the hash-list digest (default on, as the CLI's
 *     copies over a stream do), so the receiver keeps it as data arrives instead of reading its whole
 *     file back at the end; off when no digest will come, since the receiver would hash for nothing
 */
public record JvzOptions(boolean checksums, boolean compress, int zstdLevel, long bwlimitBytesPerSecond,
                         boolean resume, int resumeRangeSize, FinalImage.Source finalImage, Codec codec,
                         boolean hashList) {
    /** Per-block compression of the jvz protocol. */
    public enum Codec { ZSTD, LZ4 }

    public JvzOptions {
        java.util.Objects.requireNonNull(codec, "codec");
        if (bwlimitBytesPerSecond < 0) {
            throw new IllegalArgumentException("bwlimitBytesPerSecond < 0: " + bwlimitBytesPerSecond);
        }
        if (resumeRangeSize < JvzFormat.MIN_RANGE || resumeRangeSize > JvzFormat.MAX_RANGE) {
            throw new IllegalArgumentException("resumeRangeSize: " + resumeRangeSize + " (expected: "
                    + JvzFormat.MIN_RANGE + "~" + JvzFormat.MAX_RANGE + ")");
        }
    }

    public static JvzOptions defaults() {
        return new JvzOptions(true, false, 1, 0, false, JvzFormat.DEFAULT_RANGE, null, Codec.ZSTD, true);
    }

    /** Compress each block with {@code c}; null = no compression. */
    public JvzOptions withCompression(Codec c) {
        return new JvzOptions(checksums, c != null, zstdLevel, bwlimitBytesPerSecond, resume, resumeRangeSize,
                finalImage, c != null ? c : codec, hashList);
    }

    public JvzOptions withChecksums(boolean v) {
        return new JvzOptions(v, compress, zstdLevel, bwlimitBytesPerSecond, resume, resumeRangeSize, finalImage,
                codec, hashList);
    }

    public JvzOptions withCompress(boolean v) {
        return new JvzOptions(checksums, v, zstdLevel, bwlimitBytesPerSecond, resume, resumeRangeSize, finalImage,
                codec, hashList);
    }

    public JvzOptions withBwlimit(long bytesPerSecond) {
        return new JvzOptions(checksums, compress, zstdLevel, bytesPerSecond, resume, resumeRangeSize, finalImage,
                codec, hashList);
    }

    public JvzOptions withResume(boolean v, int rangeSize) {
        return new JvzOptions(checksums, compress, zstdLevel, bwlimitBytesPerSecond, v, rangeSize, finalImage, codec,
                hashList);
    }

    public JvzOptions withFinalImage(FinalImage.Source v) {
        return new JvzOptions(checksums, compress, zstdLevel, bwlimitBytesPerSecond, resume, resumeRangeSize, v,
                codec, hashList);
    }

    public JvzOptions withHashList(boolean v) {
        return new JvzOptions(checksums, compress, zstdLevel, bwlimitBytesPerSecond, resume, resumeRangeSize,
                finalImage,
                codec, v);
    }

    int requestedFeatures() {
        int comp = !compress ? 0 : codec == Codec.LZ4 ? JvzFormat.FEATURE_LZ4 : JvzFormat.FEATURE_ZSTD;
        return (checksums ? JvzFormat.FEATURE_CRC32C : 0) | comp | (resume ? JvzFormat.FEATURE_RESUME : 0)
                | (hashList ? JvzFormat.FEATURE_HASH_LIST : 0);
    }
}
