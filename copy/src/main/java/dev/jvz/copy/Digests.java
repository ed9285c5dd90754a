package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-256 over file ranges (final image digest, resume range digests). Stateless. */
final class Digests {
    private Digests() {}

    private static final int BUFFER = 1 << 20;

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }

    static byte[] sha256(TargetFile file, long start, long length) throws IOException {
        return sha256((dst, pos) -> file.read(dst, pos), start, length);
    }

    static byte[] sha256(FileChannel ch, long start, long length) throws IOException {
        return sha256(ch::read, start, length);
    }

    /**
     * The hash-list digest of {@link FinalImage} with {@code rangeSize > 0}: SHA-256 over the SHA-256
     * of each {@code rangeSize} range of the first {@code length} bytes (the last range may be short).
     */
    static byte[] rangeListSha256(PositionalReader r, long length, int rangeSize) throws IOException {
        MessageDigest list = sha256();
        for (long start = 0; start < length; start += rangeSize) {
            list.update(sha256(r, start, Math.min(rangeSize, length - start)));
        }
        return list.digest();
    }

    static byte[] rangeListSha256(TargetFile file, long length, int rangeSize) throws IOException {
        return rangeListSha256((dst, pos) -> file.read(dst, pos), length, rangeSize);
    }

    interface PositionalReader {
        int read(ByteBuffer dst, long pos) throws IOException;
    }

    /** Bytes past EOF count as zeros (a sparse tail reads as zeros too). */
    static byte[] sha256(PositionalReader r, long start, long length) throws IOException {
        MessageDigest md = sha256();
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(BUFFER, Math.max(length, 1)));
        long pos = start;
        long left = length;
        while (left > 0) {
            buf.clear().limit((int) Math.min(buf.capacity(), left));
            int n = r.read(buf, pos);
            if (n <= 0) {
                java.util.Arrays.fill(buf.array(), buf.position(), buf.limit(), (byte) 0);
                buf.position(buf.limit());
            }
            buf.flip();
            md.update(buf);
            pos += buf.limit();
            left -= buf.limit();
        }
        return md.digest();
    }
}
