package dev.jvz.image;

import static dev.jvz.image.QemuTools.checkClean;
import static dev.jvz.image.QemuTools.compareEqual;
import static dev.jvz.image.QemuTools.mappedDataBytes;
import static dev.jvz.image.QemuTools.ok;
import static dev.jvz.image.QemuTools.qemuIo;
import static dev.jvz.image.QemuTools.requireTool;
import static dev.jvz.image.QemuTools.virtualSize;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Format compatibility with QEMU's parallels driver, both ways: what jvz writes, qemu-img checks clean
 * and reads back byte for byte; what qemu-img/qemu-io write, jvz reads, exports and extends. The
 * expected content is a raw "model" file that each test writes alongside the image, so the oracle is
 * qemu-img compare against an independent copy, never the engine against itself.
 */
class QemuInteropIT {
    @TempDir
    Path dir;

    @BeforeEach
    void tools() {
        requireTool("qemu-img");
        requireTool("qemu-io");
    }

    // ---- jvz writes, qemu reads ------------------------------------------------------------------------

    @ParameterizedTest(name = "v{0}, {1} sectors")
    @CsvSource({"2,64", "1,64", "2,2048", "1,2048", "2,8192", "1,8192"})
    void imageWrittenByJvzIsCleanAndEqualForQemu(int version, int clusterSectors) throws Exception {
        long seed = 1000L * version + clusterSectors;
        long cb = clusterSectors * 512L;
        Path img = dir.resolve("jvz.hdd");
        Path model = dir.resolve("model.raw");
        Image.create(img, new CreateOptions(cb * 24 + 12_345, clusterSectors, version));
        long size;
        try (Image image = Image.open(img, true); FileChannel raw = newRaw(model)) {
            size = image.size();
            raw.truncate(size);
            raw.write(ByteBuffer.allocate(1), size - 1);
            Random r = new Random(seed);
            // Sparse pattern: the first sector of every third cluster, the rest never touched.
            for (long c = 0; c < image.clusters(); c += 3) {
                byte[] b = new byte[512];
                r.nextBytes(b);
                both(image, raw, c * cb, b);
            }
            // Random writes: partial-cluster, cross-cluster and unaligned (byte granular).
            for (int i = 0; i < 40; i++) {
                long off = (long) (r.nextDouble() * (size - 1));
                int len = 1 + r.nextInt((int) Math.min(size - off, 2 * cb + 777));
                byte[] b = new byte[len];
                r.nextBytes(b);
                both(image, raw, off, b);
            }
            // A whole cluster-aligned cluster and a run of zeros written explicitly (allocated, reads zero).
            byte[] whole = new byte[(int) cb];
            r.nextBytes(whole);
            both(image, raw, 5 * cb, whole);
            both(image, raw, 7 * cb + 100, new byte[1000]);
        }
        assertThat(virtualSize(img)).as("virtual size, seed %d", seed).isEqualTo(size);
        long allocated = checkClean(img);
        try (Image image = Image.open(img, false)) {
            assertThat(allocated).as("allocated clusters, seed %d", seed)
                    .isEqualTo(image.topDelta().allocatedClusters());
            assertThat(image.topHeader().isInUse()).isFalse();
        }
        compareEqual(img, model);
    }

    // ---- qemu writes, jvz reads ------------------------------------------------------------------------

    @ParameterizedTest(name = "cluster_size={0}")
    @ValueSource(strings = {"32K", "1M", "4M"})
    void imageWrittenByQemuReadsTheSameInJvz(String clusterSize) throws Exception {
        Path img = dir.resolve("qemu.hdd");
        ok("qemu-img", "create", "-f", "parallels", "-o", "cluster_size=" + clusterSize, img.toString(), "40M");
        qemuIo(img,
                "write -P 0xab 0 64k",
                "write -P 0x11 12345 7000",            // unaligned, inside one cluster
                "write -P 0x22 1000000 3000000",       // crosses several clusters
                "write -P 0x33 33550000 100000",       // unaligned, near a 32 MiB boundary
                "write -P 0x44 41942016 1024",         // the last two sectors of the disk
                "write -z 1048576 65536");             // zeros over data
        Path expected = dir.resolve("qemu.raw");
        ok("qemu-img", "convert", "-f", "parallels", "-O", "raw", img.toString(), expected.toString());
        byte[] want = Files.readAllBytes(expected);

        try (Image image = Image.open(img, false)) {
            assertThat(image.size()).isEqualTo(want.length).isEqualTo(virtualSize(img));
            ByteBuffer all = ByteBuffer.allocate(want.length);
            image.read(0, all);
            assertThat(Arrays.mismatch(all.array(), want)).as("first differing byte").isEqualTo(-1);
            Path exported = dir.resolve("jvz.raw");
            Convert.export(image, image.clusterBytes(), exported, false, Progress.NONE);
            assertThat(Files.mismatch(exported, expected)).as("cmp jvz export vs qemu-img convert").isEqualTo(-1);
        }

        // jvz writes on top of the qemu-made image; qemu must still find it clean and equal.
        Path model = dir.resolve("model.raw");
        Files.copy(expected, model);
        try (Image image = Image.open(img, true); FileChannel raw = FileChannel.open(model, StandardOpenOption.WRITE)) {
            Random r = new Random(clusterSize.hashCode());
            long cb = image.clusterBytes();
            for (int i = 0; i < 25; i++) {
                long off = (long) (r.nextDouble() * (image.size() - 1));
                int len = 1 + r.nextInt((int) Math.min(image.size() - off, cb + 4321));
                byte[] b = new byte[len];
                r.nextBytes(b);
                both(image, raw, off, b);
            }
        }
        checkClean(img);
        compareEqual(img, model);
    }

    // ---- import ----------------------------------------------------------------------------------------

    @ParameterizedTest(name = "v{0}, {1} sectors")
    @CsvSource({"2,64", "1,2048", "2,2048"})
    void importedRawIsEqualAndZeroClustersStayUnallocated(int version, int clusterSectors) throws Exception {
        long cb = clusterSectors * 512L;
        int clusters = 20;
        Path raw = dir.resolve("disk.raw");
        Random r = new Random(31L * clusterSectors + version);
        int dataClusters = 0;
        try (FileChannel ch = newRaw(raw)) {
            for (int c = 0; c < clusters; c++) {
                // Pattern: data, zero, data with a single byte set, zero written explicitly (not a hole).
                ByteBuffer b = ByteBuffer.allocate((int) cb);
                switch (c % 4) {
                    case 0 -> r.nextBytes(b.array());
                    case 2 -> b.put((int) (cb - 1), (byte) 1);
                    default -> { }
                }
                if (c % 4 == 0 || c % 4 == 2) {
                    dataClusters++;
                }
                ch.write(b, c * cb);
            }
            // A short tail: the raw size is not a whole number of clusters.
            ch.write(ByteBuffer.wrap(new byte[] {9, 9, 9}), clusters * cb);
            dataClusters++;
        }
        Path img = dir.resolve("imported.hdd");
        Convert.Result res = Convert.importRaw(raw, img, clusterSectors, version, Progress.NONE);
        assertThat(res.dataBytes() / cb).isEqualTo(dataClusters);

        long allocated = checkClean(img);
        assertThat(allocated).as("clusters qemu-img check sees allocated").isEqualTo(dataClusters);
        assertThat(mappedDataBytes(img)).as("bytes qemu-img map reports as data")
                .isEqualTo(dataClusters * cb);
        // qemu compares the raw file's short tail against the image's zero padding past it: equal.
        compareEqual(img, raw);
    }

    // ---- snapshot chain --------------------------------------------------------------------------------

    /**
     * Base written by jvz, an empty top delta created by jvz, whole clusters written into the top by
     * qemu-io (as a standalone image), and the merged view of the stack read by jvz equals the base's raw
     * content with those clusters replaced.
     *
     * <p>Structured as build-chain / expected-model / check-view so that a merge step (the Disk API's
     * merge, when it lands) slots in as {@code merge(base, top)} followed by the same
     * {@link #assertViewEquals} on the merged base alone, plus a qemu-img check of the result.
     */
    @ParameterizedTest(name = "v{0}, {1} sectors")
    @CsvSource({"2,64", "1,2048", "2,2048"})
    void stackOfJvzBaseAndQemuWrittenTopReadsMerged(int version, int clusterSectors) throws Exception {
        long cb = clusterSectors * 512L;
        long size = cb * 16;
        Path base = dir.resolve("root.hdd");
        Path top = dir.resolve("root.hdd.{top}");
        Path model = dir.resolve("model.raw");
        Random r = new Random(77L * clusterSectors + version);

        Image.create(base, new CreateOptions(size, clusterSectors, version));
        try (Image image = Image.open(base, true); FileChannel raw = newRaw(model)) {
            raw.write(ByteBuffer.allocate(1), size - 1);
            for (long c = 0; c < 16; c++) {
                if (c % 5 == 4) {
                    continue; // some clusters stay holes in the base
                }
                byte[] b = new byte[(int) cb - (int) (c % 3) * 512];
                r.nextBytes(b);
                both(image, raw, c * cb, b);
            }
        }
        Image.create(top, new CreateOptions(size, clusterSectors, version));

        // Whole clusters into the top: over base data (1, 6), over a base hole (4, 9), and the last (15).
        long[] topClusters = {1, 4, 6, 9, 15};
        List<String> cmds = new ArrayList<>();
        try (FileChannel raw = FileChannel.open(model, StandardOpenOption.WRITE)) {
            for (long c : topClusters) {
                int pattern = 0x50 + (int) c;
                cmds.add("write -P 0x" + Integer.toHexString(pattern) + " " + c * cb + " " + cb);
                byte[] b = new byte[(int) cb];
                Arrays.fill(b, (byte) pattern);
                raw.write(ByteBuffer.wrap(b), c * cb);
            }
        }
        qemuIo(top, cmds.toArray(String[]::new));
        checkClean(top);
        checkClean(base);

        List<Path> chain = List.of(base, top);
        assertViewEquals(chain, model);
        try (Image stack = Image.openStack(chain, false)) {
            for (long c = 0; c < 16; c++) {
                long cluster = c;
                boolean inTop = Arrays.stream(topClusters).anyMatch(t -> t == cluster);
                int expectLayer = inTop ? 1 : (c % 5 == 4 ? -1 : 0);
                assertThat(stack.layerOf(c)).as("layer of cluster %d", c).isEqualTo(expectLayer);
            }
        }
    }

    /** Exports the stack's merged view with jvz and compares it byte for byte with the model file. */
    private void assertViewEquals(List<Path> chain, Path model) throws IOException, ImageException {
        Path out = dir.resolve("view-" + chain.size() + ".raw");
        Files.deleteIfExists(out);
        try (Image stack = Image.openStack(chain, false)) {
            Convert.export(stack, stack.clusterBytes(), out, false, Progress.NONE);
        }
        assertThat(Files.mismatch(out, model)).as("first byte where the merged view differs from the model")
                .isEqualTo(-1);
    }

    @Test
    void qemuReadsAJvzV1ImageItCannotCreateItself() throws Exception {
        // qemu-img create makes only v2; a v1 file from jvz must still open in qemu with the right size.
        Path img = dir.resolve("v1.hdd");
        Image.create(img, new CreateOptions(3 << 20, 2048, 1));
        try (Image image = Image.open(img, true)) {
            image.write(2 << 20, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        assertThat(virtualSize(img)).isEqualTo(3 << 20);
        checkClean(img);
        Path out = dir.resolve("v1.raw");
        ok("qemu-img", "convert", "-f", "parallels", "-O", "raw", img.toString(), out.toString());
        byte[] got = Files.readAllBytes(out);
        assertThat(got).hasSize(3 << 20);
        assertThat(Arrays.copyOfRange(got, 2 << 20, (2 << 20) + 4)).containsExactly(1, 2, 3, 0);
    }

    // ---- helpers ---------------------------------------------------------------------------------------

    private static FileChannel newRaw(Path p) throws IOException {
        return FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /** Writes the same bytes to the image under test and to the raw model. */
    private static void both(Image image, FileChannel model, long off, byte[] b) throws IOException {
        image.write(off, ByteBuffer.wrap(b));
        ByteBuffer m = ByteBuffer.wrap(b);
        long pos = off;
        while (m.hasRemaining()) {
            pos += model.write(m, pos);
        }
    }
}
