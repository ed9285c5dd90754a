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
