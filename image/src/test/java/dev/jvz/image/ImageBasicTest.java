package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ImageBasicTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @CsvSource({"64,1", "64,2", "2048,2", "2048,1", "131072,2"})
    void writesReadBackAcrossClusterSizesAndVersions(int clusterSectors, int version) throws Exception {
        Path p = dir.resolve("root.hdd");
        long cb = clusterSectors * 512L;
        // Five clusters, but no more than 24 MiB: a 64 MiB cluster case must not write hundreds of MiB.
        long size = Math.min(cb * 5, 24L << 20) + 1000;
        Image.create(p, new CreateOptions(size, clusterSectors, version));
        byte[] model = new byte[(int) Math.ceilDiv(size, cb) * (int) cb];
        Random r = new Random(clusterSectors + version);
        try (Image img = Image.open(p, true)) {
            assertThat(img.size()).isEqualTo(Math.ceilDiv(size, cb) * cb);
            for (int i = 0; i < 30; i++) {
                int off = r.nextInt(model.length - 1);
                int len = 1 + r.nextInt(Math.min(model.length - off, (int) cb * 2));
                byte[] data = new byte[len];
                r.nextBytes(data);
                img.write(off, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, off, len);
            }
        }
        try (Image img = Image.open(p, false)) {
            ByteBuffer all = ByteBuffer.allocate(model.length);
            img.read(0, all);
            assertThat(all.array()).isEqualTo(model);
            assertThat(img.topHeader().isInUse()).isFalse();
            assertThat(img.topHeader().isEmptyFlag()).isFalse();
        }
        assertThat(Files.size(p) % cb).isZero();
    }

    @ParameterizedTest
    @CsvSource({"64", "2048"})
    void partialWriteOverLowerDeltaCopiesUp(int clusterSectors) throws Exception {
        Path base = dir.resolve("base");
        Path top = dir.resolve("top");
        long cb = clusterSectors * 512L;
        Image.create(base, new CreateOptions(cb * 4, clusterSectors, 2));
        Image.create(top, new CreateOptions(cb * 4, clusterSectors, 2));
        byte[] fill = new byte[(int) cb];
        java.util.Arrays.fill(fill, (byte) 7);
        try (Image b = Image.open(base, true)) {
            b.write(cb, ByteBuffer.wrap(fill));
        }
        try (Image s = Image.openStack(List.of(base, top), true)) {
            s.write(cb + 10, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            assertThat(s.layerOf(1)).isEqualTo(1);
        }
        try (Image s = Image.openStack(List.of(base, top), false)) {
            ByteBuffer got = ByteBuffer.allocate((int) cb);
            s.read(cb, got);
            byte[] expect = fill.clone();
            expect[10] = 1;
            expect[11] = 2;
            expect[12] = 3;
            assertThat(got.array()).isEqualTo(expect);
        }
        try (Image b = Image.open(base, false)) {
            ByteBuffer got = ByteBuffer.allocate((int) cb);
            b.read(cb, got);
            assertThat(got.array()).isEqualTo(fill);
        }
    }

    @org.junit.jupiter.api.Test
    void imageLeftInUseIsRefusedForWritingButReadable() throws Exception {
        Path p = dir.resolve("root.hdd");
        Image.create(p, CreateOptions.of(1 << 20));
        Image img = Image.open(p, true);
        img.write(0, ByteBuffer.wrap(new byte[] {9}));
        img.flush();
        // Simulate a crash: never closed, so inUse stays set.
        assertThatThrownBy(() -> Image.open(p, true))
                .isInstanceOf(ImageInUseException.class)
                .hasMessageContaining("jvz ploop check");
        try (Image ro = Image.open(p, false)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ro.read(0, b);
            assertThat(b.get(0)).isEqualTo((byte) 9);
        }
        img.close();
    }
}
