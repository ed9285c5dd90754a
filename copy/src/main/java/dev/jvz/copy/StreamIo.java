package dev.jvz.copy;

import java.io.IOException;
import java.io.InputStream;

/**
 * Full reads that loop on {@link InputStream#read(byte[], int, int)} themselves, so they are right
 * even over streams whose {@code readNBytes} trusts one read to return everything available
 * (ByteArrayInputStream's override does). Stateless.
 */
final class StreamIo {
    private StreamIo() {}

    /** Reads until {@code len} bytes or EOF; returns how many were read. */
    static int readFully(InputStream in, byte[] b, int off, int len) throws IOException {
        int got = 0;
        while (got < len) {
            int n = in.read(b, off + got, len - got);
            if (n < 0) {
                break;
            }
            got += n;
        }
        return got;
    }

    /** Reads {@code len} bytes or fewer at EOF; the array has exactly the bytes read. */
    static byte[] readUpTo(InputStream in, int len) throws IOException {
        byte[] b = new byte[len];
        int n = readFully(in, b, 0, len);
        return n == len ? b : java.util.Arrays.copyOf(b, n);
    }

    /**
     * Closes each non-null stream, even after one failed, and throws the first failure (with the later
     * ones suppressed, after {@code earlier} if the caller already has one).
     */
    static void closeAll(IOException earlier, java.io.Closeable... streams) throws IOException {
        IOException first = earlier;
        for (java.io.Closeable c : streams) {
            if (c == null) {
                continue;
            }
            try {
                c.close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }
}
