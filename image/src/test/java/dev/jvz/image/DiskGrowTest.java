package dev.jvz.image;

import static dev.jvz.image.DiskTestSupport.copyDir;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Grow where the bigger BAT needs more header clusters than the data area leaves, so data clusters
 * must move to the end of the file first.
 *
 * <p>Numbers: 64-sector clusters are 32 KiB; one header cluster holds (32768 - 64) / 4 = 8176 BAT
 * entries, i.e. a disk of 8176 clusters (255.5 MiB). Growing it to 5 x 8176 clusters needs
 * ceil((64 + 4 x 40880) / 32768) = 5 header clusters, so the data clusters at file clusters 1..4 move.
 * The files stay small (sparse disks); the model is sparse too (cluster index to content).
 */
class DiskGrowTest {
    static final int CS = 64;
    static final long CB = CS * 512L;
    static final long ONE_HEADER_CLUSTER_ENTRIES = (CB - PloopFormat.HEADER_SIZE) / PloopFormat.BAT_ENTRY_SIZE;

    @TempDir
    Path tmp;

    /** Writes whole random clusters at {@code n} random virtual clusters; returns the model. */
    static Map<Long, byte[]> fill(Disk d, long clusters, int n, Random r) throws Exception {
        Map<Long, byte[]> model = new TreeMap<>();
        try (Image img = d.openImage(true)) {
            for (int i = 0; i < n; i++) {
                long c = r.nextLong(clusters);
                byte[] data = new byte[(int) CB];
                r.nextBytes(data);
                img.write(c * CB, ByteBuffer.wrap(data));
                model.put(c, data);
            }
        }
        return model;
    }

    /** Every cluster the image maps is in the model with that content; every model cluster reads back. */
    static void verifySparse(Image img, Map<Long, byte[]> model, String why) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) CB);
        for (long c = 0; c < img.clusters(); c++) {
            if (img.layerOf(c) < 0) {
                assertThat(model).as(why + ": cluster " + c + " unmapped").doesNotContainKey(c);
                continue;
            }
            buf.clear();
            img.read(c * CB, buf);
            byte[] expect = model.getOrDefault(c, new byte[(int) CB]);
            DiskTestSupport.assertSameContent(buf.array(), expect, why + ": cluster " + c);
        }
        for (long c : model.keySet()) {
            assertThat(img.layerOf(c)).as(why + ": model cluster " + c).isGreaterThanOrEqualTo(0);
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void growRelocatesDataOutOfTheNewBatAndKeepsContent(int version) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("disk"));
        Random r = new Random(version * 77L);
        long oldClusters = ONE_HEADER_CLUSTER_ENTRIES;
        long newClusters = ONE_HEADER_CLUSTER_ENTRIES * 5;
        Map<Long, byte[]> model;
        List<String> steps = new ArrayList<>();
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(oldClusters * CB, CS, version))) {
            try (Image img = d.openImage(false)) {
                assertThat(img.topHeader().dataStartCluster()).isEqualTo(1);
            }
            model = fill(d, oldClusters, 7, r);
            d.setStepHook(steps::add);
            d.grow(newClusters * CB);
            assertThat(d.descriptor().diskSizeSectors()).isEqualTo(newClusters * CS);
            try (Image img = d.openImage(false)) {
                PloopHeader h = img.topHeader();
                assertThat(h.batEntries()).isEqualTo(newClusters);
                assertThat(h.headerClusters()).isEqualTo(5);
                assertThat(h.dataStartCluster()).isEqualTo(5);
                assertThat(h.isInUse()).isFalse();
                verifySparse(img, model, "v" + version + " after grow");
            }
            // Data that sat in file clusters 1..4 moved: 4 copies, 4 BAT repoints.
            assertThat(steps).filteredOn(s -> s.equals("grow: data cluster copied")).hasSize(4);
            assertThat(steps).filteredOn(s -> s.equals("grow: BAT entry repointed")).hasSize(4);
            // New writes beyond the old end and into the new area work.
            try (Image img = d.openImage(true)) {
                byte[] data = new byte[(int) CB];
                r.nextBytes(data);
                img.write((newClusters - 1) * CB, ByteBuffer.wrap(data));
                model.put(newClusters - 1, data);
            }
            try (Image img = d.openImage(false)) {
                verifySparse(img, model, "v" + version + " after writing past the old end");
            }
            assertThatThrownBy(() -> d.grow(oldClusters * CB)).isInstanceOf(ImageException.class)
                    .hasMessageContaining("shrink");
        }
    }

    @org.junit.jupiter.api.Test
    void aFormatExtensionClusterInTheWayMovesWithTheData() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("disk"));
        Random r = new Random(5);
        long oldClusters = ONE_HEADER_CLUSTER_ENTRIES;
        Path file = dir.resolve("root.hdd");
        Map<Long, byte[]> model;
        try (Disk d = Disk.init(file, new CreateOptions(oldClusters * CB, CS, 2))) {
            model = fill(d, oldClusters, 2, r); // file clusters 1 and 2
        }
        // Append an extension cluster (file cluster 3) and mark it valid, as ploop's CBT would.
        byte[] ext = new byte[(int) CB];
        r.nextBytes(ext);
        PloopHeader h;
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(ext), 3 * CB);
            ByteBuffer hb = ByteBuffer.allocate(PloopFormat.HEADER_SIZE);
            ch.read(hb, 0);
            h = PloopHeader.decode(hb.flip(), file.toString());
            PloopHeader withExt = new PloopHeader(h.version(), h.heads(), h.cylinders(), h.clusterSectors(),
                    h.batEntries(), h.sizeInSectors(), PloopFormat.INUSE_CLOSED_WITH_EXT, h.firstBlockOffset(),
                    h.flags(), 3L * CS);
            ch.write(withExt.encode(), 0);
        }
        try (Disk d = Disk.open(dir)) {
            d.grow(oldClusters * 5 * CB);
            try (Image img = d.openImage(false)) {
                PloopHeader g = img.topHeader();
                assertThat(g.dataStartCluster()).isEqualTo(5);
                assertThat(g.inUse()).isEqualTo(PloopFormat.INUSE_CLOSED_WITH_EXT);
                long extCluster = g.extOffset() / CS;
                assertThat(extCluster).isGreaterThanOrEqualTo(5);
                ByteBuffer got = ByteBuffer.allocate((int) CB);
                ((Delta) img.layers().getLast()).readAt(extCluster * CB, got);
                assertThat(got.array()).isEqualTo(ext);
                verifySparse(img, model, "ext moved");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void aCrashAtEveryGrowStepLeavesTheSameContent(int version) throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("disk"));
        Random r = new Random(version * 91L);
        long oldClusters = ONE_HEADER_CLUSTER_ENTRIES;
        long newClusters = ONE_HEADER_CLUSTER_ENTRIES * 3;
        Map<Long, byte[]> model;
        List<String> steps = new ArrayList<>();
        Path crash = tmp.resolve("crash");
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(oldClusters * CB, CS, version))) {
            model = fill(d, oldClusters, 6, r);
            d.snapshot(null); // grow only touches the top; a lower delta must keep reading through
            Map<Long, byte[]> top = fill(d, oldClusters, 4, r);
            model.putAll(top);
            d.setStepHook(step -> {
                copyDir(dir, crash.resolve(String.format("%03d", steps.size())));
                steps.add(step);
            });
            d.grow(newClusters * CB);
        }
        assertThat(steps).contains("grow: data cluster copied", "grow: header written");
        for (int n = 0; n < steps.size(); n++) {
            String why = "v" + version + " crash at step " + n + " (" + steps.get(n) + ")";
            try (Disk c = Disk.open(crash.resolve(String.format("%03d", n))); Image img = c.openImage(false)) {
                assertThat(img.size()).as(why).isIn(oldClusters * CB, newClusters * CB);
                verifySparse(img, model, why);
            }
        }
    }
}
