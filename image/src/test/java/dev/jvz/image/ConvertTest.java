package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Import/export in I/O pieces smaller and larger than a cluster: zero runs, odd tails, read failures. */
class ConvertTest {
    @TempDir
    Path dir;

    /**
     * Raw content with zero clusters, zero 4 KiB blocks inside data clusters and a tail that ends inside
     * a cluster; 32 KiB clusters (several per I/O piece) and 1 MiB ones (several pieces per cluster).
     */
    @ParameterizedTest(name = "v{0}, {1} sectors, seed {2}")
    @CsvSource({"2,64,1", "1,64,2", "2,2048,3", "2,64,4"})
    void importThenExportGivesBackTheRawBytes(int version, int clusterSectors, long seed) throws Exception {
        int cb = clusterSectors * 512;
        Random r = new Random(seed);
        int clusters = clusterSectors == 64 ? 300 : 12;
        byte[] raw = new byte[clusters * cb + 1000];
        int dataClusters = 0;
        for (int c = 0; c <= clusters; c++) {
            int start = c * cb;
            int end = Math.min(raw.length, start + cb);
            switch (r.nextInt(4)) {
                case 0 -> { } // all zero
                case 1 -> { // data with zero 4 KiB blocks in between
                    for (int b = start; b < end; b += 4096) {
                        if (r.nextBoolean()) {
                            for (int i = b; i < Math.min(end, b + 4096); i++) {
                                raw[i] = (byte) r.nextInt();
                            }
                        }
                    }
                }
                default -> {
                    for (int i = start; i < end; i++) {
                        raw[i] = (byte) r.nextInt();
                    }
                }
            }
            boolean any = false;
            for (int i = start; i < end && !any; i++) {
                any = raw[i] != 0;
            }
            dataClusters += any ? 1 : 0;
        }
        Path rawFile = dir.resolve("in.raw");
        Files.write(rawFile, raw);
        Path delta = dir.resolve("img.hdd");
        Convert.Result in = Convert.importRaw(rawFile, delta, clusterSectors, version, Progress.NONE);
        assertThat(in.dataBytes()).as("seed %d", seed).isEqualTo((long) dataClusters * cb);

        Path out = dir.resolve("out.raw");
        try (Image img = Image.open(delta, false)) {
            assertThat(img.topDelta().allocatedClusters()).as("seed %d", seed).isEqualTo(dataClusters);
            Convert.Result ex = Convert.export(img, img.clusterBytes(), out, false, Progress.NONE);
            assertThat(ex.virtualBytes()).isEqualTo(img.size());
        }
        byte[] got = Files.readAllBytes(out);
        assertThat(got.length).isEqualTo(Math.ceilDiv(raw.length, cb) * cb);
        byte[] padded = java.util.Arrays.copyOf(raw, got.length);
        assertThat(java.util.Arrays.mismatch(got, padded)).as("first differing byte, seed %d", seed).isEqualTo(-1);
    }

    @Test
    @Timeout(30)
    void aReadFailureInTheMiddleStopsTheExportWithThatError() {
        IOException boom = new IOException("disk on fire");
        BlockDevice failing = new FakeDevice(32L << 20) {
            @Override
            public void read(long offset, ByteBuffer dst) throws IOException {
                if (offset >= 20 << 20) {
                    throw boom;
                }
                dst.position(dst.limit());
            }
        };
        assertThatThrownBy(() -> Convert.export(failing, 1 << 20, dir.resolve("x.raw"), false, Progress.NONE))
                .isSameAs(boom);
    }

    @Test
    void readAheadHintsAreActiveWhenNativeAccessIsEnabled() throws Exception {
        // The build enables native access (image/pom.xml) as bin/jvz does; without it hints are a no-op.
        Path f = Files.write(dir.resolve("f"), new byte[8192]);
        try (ReadAhead r = ReadAhead.open(f)) {
            assertThat(r.active()).as("posix_fadvise reachable").isTrue();
            r.willNeed(0, 8192);
            r.willNeed(1L << 40, 4096); // past the end: harmless
        }
        try (ReadAhead r = ReadAhead.open(dir.resolve("missing"))) {
            assertThat(r.active()).as("open fails: a do-nothing helper, no exception").isFalse();
            r.willNeed(0, 4096);
        }
    }

    @ParameterizedTest(name = "{0} sectors")
    @CsvSource({"64", "2048"})
    void importSkipsHolesOfASparseRawFileAndKeepsEveryByte(int clusterSectors) throws Exception {
        // Holes larger and smaller than an I/O piece, data starting mid-piece, and a trailing hole.
        long size = (5L << 20) + 5000;
        byte[] want = new byte[(int) size];
        Random r = new Random(clusterSectors);
        Path rawFile = dir.resolve("sparse.raw");
        try (var ch = java.nio.channels.FileChannel.open(rawFile, java.nio.file.StandardOpenOption.CREATE_NEW,
                java.nio.file.StandardOpenOption.WRITE)) {
            long[][] runs = {{100_000, 10}, {(1 << 20) + 70_000, 300_000}, {(3 << 20) + 4096, 8192}};
            for (long[] run : runs) {
                byte[] b = new byte[(int) run[1]];
                r.nextBytes(b);
                ch.write(ByteBuffer.wrap(b), run[0]);
                System.arraycopy(b, 0, want, (int) run[0], b.length);
            }
            ch.write(ByteBuffer.wrap(new byte[1]), size - 1); // extends with a hole, ends in a zero byte
        }
        Path delta = dir.resolve("sparse.hdd");
        Convert.importRaw(rawFile, delta, clusterSectors, 2, Progress.NONE);
        try (Image img = Image.open(delta, false)) {
            ByteBuffer got = ByteBuffer.allocate((int) size);
            img.read(0, got);
            assertThat(java.util.Arrays.mismatch(got.array(), want)).as("first differing byte").isEqualTo(-1);
        }
    }

    @Test
    void anEmptyRawFileIsRefusedAndLeavesNoDelta() throws Exception {
        Path raw = Files.createFile(dir.resolve("empty.raw"));
        Path delta = dir.resolve("d.hdd");
        assertThatThrownBy(() -> Convert.importRaw(raw, delta, 2048, 2, Progress.NONE))
                .isInstanceOf(ImageException.class).hasMessageContaining("empty");
        assertThat(delta).doesNotExist();
    }

    /** A device of {@code size} bytes of 0x5a. */
    private static class FakeDevice implements BlockDevice {
        private final long size;

        FakeDevice(long size) {
            this.size = size;
        }

        @Override
        public long size() {
            return size;
        }

        @Override
        public void read(long offset, ByteBuffer dst) throws IOException {
            while (dst.hasRemaining()) {
                dst.put((byte) 0x5a);
            }
        }

        @Override
        public void write(long offset, ByteBuffer src) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void flush() {}

        @Override
        public boolean readOnly() {
            return true;
        }

        @Override
        public void close() {}
    }
}
