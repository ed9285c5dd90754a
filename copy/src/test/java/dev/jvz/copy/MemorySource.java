package dev.jvz.copy;

import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;

/** An image file in memory (a valid open header at 0, then a pattern), optionally slow or failing. */
final class MemorySource implements FileSource {
    final byte[] data;
    long sleepNanosPerRead;
    final AtomicInteger reads = new AtomicInteger();
    int failAtRead = -1;
    volatile boolean closed;

    MemorySource(int size) {
        data = new byte[size];
        for (int i = 0; i < size; i++) {
            data[i] = (byte) (i * 31 + (i >>> 9));
        }
        ByteBuffer h = PloopHeader.create(2, 1L << 30, 64).withInUse(PloopFormat.INUSE_OPEN).encode();
        h.get(data, 0, PloopFormat.HEADER_SIZE);
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        int n = reads.incrementAndGet();
        if (n == failAtRead) {
            throw new IOException("injected read failure at read #" + n);
        }
        if (sleepNanosPerRead > 0) {
            TestSink.sleep(sleepNanosPerRead);
        }
        if (pos >= data.length) {
            return -1;
        }
        int len = (int) Math.min(dst.remaining(), data.length - pos);
        dst.put(data, (int) pos, len);
        return len;
    }

    @Override
    public void close() {
        closed = true;
    }
}
