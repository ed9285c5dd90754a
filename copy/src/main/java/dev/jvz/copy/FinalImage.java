package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * The length and digest the destination file must have when the copy is done. Immutable.
 *
 * <p>{@code rangeSize} 0: {@code sha256} is the SHA-256 of the whole file. Otherwise it is the SHA-256
 * of the concatenated SHA-256 of each {@code rangeSize} range of the file (the last may be short): the
 * hash list {@link LiveCopy} keeps up to date during the copy so that its frozen window only re-hashes
 * the ranges the final passes touched (copy/PROTOCOL.md, "Final digest").
 *
 * <p>The source delta still has inUse set while the destination receives a header with inUse
 * cleared, so the sender digests its file with that header {@code patch} applied: {@link #of}.
 */
public record FinalImage(long length, byte[] sha256, int rangeSize) {
    public FinalImage {
        if (length < 0) {
            throw new IllegalArgumentException("length < 0: " + length);
        }
        if (rangeSize != 0 && (rangeSize < JvzFormat.MIN_RANGE || rangeSize > JvzFormat.MAX_RANGE)) {
            throw new IllegalArgumentException("rangeSize: " + rangeSize + " (expected: 0 or "
                    + JvzFormat.MIN_RANGE + "~" + JvzFormat.MAX_RANGE + ")");
        }
        if (sha256.length != JvzFormat.DIGEST_LEN) {
            throw new IllegalArgumentException("sha256 has " + sha256.length + " bytes, expected 32");
        }
        sha256 = sha256.clone();
    }

    /** A whole-file SHA-256. */
    public FinalImage(long length, byte[] sha256) {
        this(length, sha256, 0);
    }

    /** The digest in hex, as reports print it. */
    public String hex() {
        return java.util.HexFormat.of().formatHex(sha256);
    }

    @Override
    public byte[] sha256() {
        return sha256.clone();
    }

    /** Called by the jvz sink in {@link CopySink#finish()}, after the final pass, to learn the expected result. */
    @FunctionalInterface
    public interface Source {
        FinalImage compute() throws IOException;
    }

    /**
     * Digest of the first {@code length} bytes of {@code source}, with {@code patch} bytes (e.g. the
     * clean header the sender sent last) laid over position {@code patchPos}; bytes past EOF are zeros.
     */
    public static FinalImage of(FileChannel source, long length, long patchPos, byte[] patch) throws IOException {
        byte[] p = patch == null ? new byte[0] : patch;
        MessageDigest md = Digests.sha256();
        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
        long pos = 0;
        while (pos < length) {
            buf.clear().limit((int) Math.min(buf.capacity(), length - pos));
            int n = source.read(buf, pos);
            if (n <= 0) {
                Arrays.fill(buf.array(), buf.position(), buf.limit(), (byte) 0);
                buf.position(buf.limit());
            }
            int got = buf.position();
            // overlay the patch where it intersects [pos, pos+got)
            long from = Math.max(pos, patchPos);
            long to = Math.min(pos + got, patchPos + p.length);
            for (long i = from; i < to; i++) {
                buf.array()[(int) (i - pos)] = p[(int) (i - patchPos)];
            }
            md.update(buf.array(), 0, got);
            pos += got;
        }
        return new FinalImage(length, md.digest());
    }
}
