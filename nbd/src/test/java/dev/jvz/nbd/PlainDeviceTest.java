package dev.jvz.nbd;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.image.BlockDevice;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** A device that is not an image: no allocation map, so everything is data and TRIM is a no-op. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class PlainDeviceTest {
    @TempDir
    Path dir;

    /** A thread-safe in-memory disk. */
    static final class MemoryDevice implements BlockDevice {
        final byte[] bytes;
        int flushes;

        MemoryDevice(int size) {
            bytes = new byte[size];
        }

        @Override
        public long size() {
            return bytes.length;
        }

        @Override
        public synchronized void read(long offset, ByteBuffer dst) {
            dst.put(bytes, (int) offset, dst.remaining());
        }

        @Override
        public synchronized void write(long offset, ByteBuffer src) {
            src.get(bytes, (int) offset, src.remaining());
        }

        @Override
        public synchronized void flush() {
            flushes++;
        }

        @Override
        public boolean readOnly() {
            return false;
        }

        @Override
        public void close() {}
    }

    @Test
    void servesAnyBlockDevice() throws Exception {
        MemoryDevice dev = new MemoryDevice(1 << 20);
        Arrays.fill(dev.bytes, (byte) 5);
        try (NbdServer s = NbdServer.builder(dev).build()) {
            Path sock = s.listenUnix(dir.resolve("s"));
            try (TestClient c = TestClient.unix(sock).connectStructured("")) {
                TestClient.Reply r = c.read(1000, 70_000);
                assertThat(r.chunkTypes()).extracting(t -> t[0]).containsExactly(Nbd.REPLY_TYPE_OFFSET_DATA);
                assertThat(r.data()).containsOnly(5);
                assertThat(c.request(0, Nbd.CMD_BLOCK_STATUS, 0, 1 << 20, null).extents())
                        .containsExactly(new long[] {1 << 20, 0});
                assertThat(c.request(0, Nbd.CMD_TRIM, 0, 4096, null).error()).isZero();
                assertThat(c.read(0, 4096).data()).containsOnly(5); // TRIM is only a hint
                assertThat(c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_WRITE_ZEROES, 0, 3 << 18, null).error()).isZero();
                assertThat(c.read(0, 3 << 18).data()).containsOnly(0);
                assertThat(dev.flushes).isEqualTo(1);
            }
        }
    }
}
