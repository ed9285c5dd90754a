package dev.jvz.image;

import static dev.jvz.image.DiskTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.DiskDescriptor.Snapshot;
import java.nio.ByteBuffer;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DiskTest {
    static final String TOP = DiskDescriptor.TOP_GUID;

    @TempDir
    Path dir;

    @Test
    void initWritesDescriptorBesideTheDeltaAndRefusesToOverwrite() throws Exception {
        Path delta = dir.resolve("root.hdd");
        try (Disk d = Disk.init(delta, new CreateOptions(10L << 20, 2048, 2))) {
            assertThat(d.descriptorPath()).isEqualTo(dir.resolve("DiskDescriptor.xml"));
            assertThat(d.descriptor().diskSizeSectors()).isEqualTo(20480);
            assertThat(d.descriptor().blocksize()).isEqualTo(2048);
            assertThat(d.snapshots()).containsExactly(
                    new SnapshotInfo(TOP, DiskDescriptor.NONE_GUID, true, "root.hdd", false));
        }
        assertThat(Files.readString(dir.resolve("DiskDescriptor.xml")))
                .startsWith("<?xml version=\"1.0\"?>\n<Parallels_disk_image Version=\"1.0\">")
                .contains("<File>root.hdd</File>");
        assertThatThrownBy(() -> Disk.init(delta, CreateOptions.of(1 << 20)))
                .isInstanceOf(FileAlreadyExistsException.class);
        assertThatThrownBy(() -> Disk.init(dir.resolve("other.hdd"), CreateOptions.of(1 << 20)))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("DiskDescriptor.xml");
        try (Disk d = Disk.open(dir); Image img = d.openImage(false)) {
            assertThat(img.size()).isEqualTo(10L << 20);
        }
    }

    @Test
    void openFailsClearlyWhenAnImageFileIsMissing() throws Exception {
        try (Disk d = Disk.init(dir.resolve("root.hdd"), CreateOptions.of(1 << 20))) {
            d.snapshot(null);
        }
        Files.delete(dir.resolve("root.hdd"));
        assertThatThrownBy(() -> Disk.open(dir)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("root.hdd").hasMessageContaining("does not exist");
        // The lock was released on failure.
        Files.createFile(dir.resolve("root.hdd"));
        try (Disk d = Disk.open(dir)) {
            assertThatThrownBy(() -> d.openImage(false)).isInstanceOf(ImageCorruptedException.class);
        }
    }

    @Test
    void snapshotKeepsContentAndCreatesANamedEmptyTop() throws Exception {
        long cb = 64 * 512;
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(cb * 4, 64, 2))) {
            byte[] model = randomWrites(d, new byte[(int) (cb * 4)], new Random(1), 8, cb);
            String s = d.snapshot("{11111111-2222-3333-4444-555555555555}");
            assertThat(s).isEqualTo("{11111111-2222-3333-4444-555555555555}");
            List<SnapshotInfo> list = d.snapshots();
            assertThat(list).hasSize(2);
            assertThat(list.get(0)).isEqualTo(new SnapshotInfo(s, DiskDescriptor.NONE_GUID, false, "root.hdd", false));
            assertThat(list.get(1).uuid()).isEqualTo(TOP);
            assertThat(list.get(1).parentUuid()).isEqualTo(s);
            assertThat(list.get(1).current()).isTrue();
            assertThat(list.get(1).fileName()).matches("root\\.hdd\\.\\{[0-9a-f-]{36}}");
            try (Image img = d.openImage(false)) {
                assertThat(img.depth()).isEqualTo(2);
                assertThat(img.topHeader().isEmptyFlag()).isTrue();
                assertThat(readAll(img)).isEqualTo(model);
            }
            assertThatThrownBy(() -> d.snapshot(s)).isInstanceOf(ImageException.class).hasMessageContaining("already");
            assertThatThrownBy(() -> d.snapshot("nope")).isInstanceOf(ImageException.class)
                    .hasMessageContaining("not a GUID");
        }
    }

    @Test
    void operationsRefuseATopThatIsStillOpen() throws Exception {
        try (Disk d = Disk.init(dir.resolve("root.hdd"), CreateOptions.of(1 << 20))) {
            try (Image img = d.openImage(true)) {
                img.write(0, ByteBuffer.wrap(new byte[] {1}));
                assertThatThrownBy(() -> d.snapshot(null)).isInstanceOf(ImageInUseException.class);
                assertThatThrownBy(() -> d.grow(2 << 20)).isInstanceOf(ImageInUseException.class);
            }
            d.snapshot(null);
        }
    }

    @Test
    void deleteCoversItsThreeCases() throws Exception {
        long cb = 64 * 512;
        int size = (int) (cb * 6);
        Random r = new Random(7);
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(size, 64, 2))) {
            Map<String, byte[]> model = new LinkedHashMap<>();
            byte[] top = randomWrites(d, new byte[size], r, 6, cb);
            String base = d.snapshot(null);
            model.put(base, top.clone());
            randomWrites(d, top, r, 6, cb);
            String s1 = d.snapshot(null);
            model.put(s1, top.clone());
            randomWrites(d, top, r, 6, cb);
            String s2 = d.snapshot(null);
            model.put(s2, top.clone());
            randomWrites(d, top, r, 6, cb);
            model.put(TOP, top);
            verifyAll(d, model, "chain base<-s1<-s2<-top");

            // The active top and the base are never dropped.
            assertThatThrownBy(() -> d.deleteSnapshot(TOP)).isInstanceOf(ImageException.class)
                    .hasMessageContaining("active top");

            // Branch: switch to s1 gives s1 two children (s2 and the new top).
            d.switchTo(s1);
            model.put(TOP, model.get(s1).clone());
            verifyAll(d, model, "after switch to s1");
            assertThat(d.descriptor().children(s1)).hasSize(2);

            // Several children: only marked Temporary; content unchanged.
            d.deleteSnapshot(s1);
            assertThat(d.descriptor().snapshot(s1).temporary()).isTrue();
            assertThat(d.snapshots()).filteredOn(SnapshotInfo::temporary).extracting(SnapshotInfo::uuid).containsExactly(s1);
            verifyAll(d, model, "after delete of s1 with two children");

            // No child: s2 is dropped with its file. That leaves the Temporary s1 with one child, so s1
            // is deleted for real too: the top is merged down into s1's file, which takes the top's GUID.
            Path s2File = d.fileOf(s2);
            Path s1File = d.fileOf(s1);
            d.deleteSnapshot(s2);
            model.remove(s2);
            model.remove(s1);
            assertThat(s2File).doesNotExist();
            assertThat(d.fileOf(TOP)).isEqualTo(s1File);
            verifyAll(d, model, "after delete of leaf s2 and the collapse of Temporary s1");

            // Base with one child (top): merging the top into the base.
            d.deleteSnapshot(base);
            model.remove(base);
            verifyAll(d, model, "after delete of base");
            assertThat(d.snapshots()).hasSize(1);
            assertThat(d.fileOf(TOP)).isEqualTo(dir.resolve("root.hdd"));
            assertThatThrownBy(() -> d.mergeTop()).isInstanceOf(ImageException.class).hasMessageContaining("base");
            assertThatThrownBy(() -> d.deleteSnapshot("{11111111-2222-3333-4444-555555555555}"))
                    .isInstanceOf(ImageException.class).hasMessageContaining("no snapshot");
        }
    }

    @Test
    void plainRawBaseIsReadThroughAndMergedInto() throws Exception {
        long cb = 64 * 512;
        int size = (int) (cb * 4);
        Random r = new Random(11);
        byte[] model = new byte[size];
        r.nextBytes(model);
        Files.write(dir.resolve("base.raw"), model);
        DiskDescriptor raw = new DiskDescriptor(size / 512, 0, 16, 32, 64, false,
                List.of(new DiskDescriptor.ImageEntry(TOP, DiskDescriptor.ImageType.PLAIN, "base.raw")), TOP,
                List.of(new Snapshot(TOP, DiskDescriptor.NONE_GUID, false)));
        DescriptorXml.store(dir.resolve(Disk.DESCRIPTOR_NAME), raw);
        try (Disk d = Disk.open(dir)) {
            assertThatThrownBy(() -> d.openImage(false)).isInstanceOf(DescriptorException.class)
                    .hasMessageContaining("single Plain");
            assertThatThrownBy(() -> d.grow(size * 2L)).isInstanceOf(ImageException.class)
                    .hasMessageContaining("Plain");
            String s = d.snapshot(null);
            // ploop writes one Type for the whole disk: the new delta is listed as Plain too.
            assertThat(d.descriptor().image(TOP).type()).isEqualTo(DiskDescriptor.ImageType.PLAIN);
            try (Image img = d.openImage(false)) {
                assertThat(img.depth()).isEqualTo(2);
                assertThat(readAll(img)).isEqualTo(model);
            }
            byte[] baseBefore = model.clone();
            randomWrites(d, model, r, 6, cb);
            try (Image img = d.openImage(false)) {
                assertThat(readAll(img)).isEqualTo(model);
            }
            assertThat(Files.readAllBytes(dir.resolve("base.raw"))).isEqualTo(baseBefore);
            assertThat(d.descriptor().snapshot(TOP).parentGuid()).isEqualTo(s);
            d.mergeTop();
            assertThat(d.descriptor().images()).containsExactly(
                    new DiskDescriptor.ImageEntry(TOP, DiskDescriptor.ImageType.PLAIN, "base.raw"));
            assertThat(Files.readAllBytes(dir.resolve("base.raw"))).isEqualTo(model);
        }
    }

    @Test
    void growRefusesShrinkAndUpdatesDescriptor() throws Exception {
        long cb = 64 * 512;
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(cb * 4, 64, 2))) {
            byte[] model = randomWrites(d, new byte[(int) (cb * 4)], new Random(3), 5, cb);
            assertThatThrownBy(() -> d.grow(cb * 3)).isInstanceOf(ImageException.class).hasMessageContaining("shrink");
            d.grow(cb * 7 - 100); // rounded up to whole clusters, like init
            assertThat(d.descriptor().diskSizeSectors()).isEqualTo(7 * 64);
            try (Image img = d.openImage(false)) {
                assertSameContentZeroExtended(readAll(img), model, "grown");
                assertThat(img.size()).isEqualTo(cb * 7);
            }
        }
        try (Disk d = Disk.open(dir.resolve("DiskDescriptor.xml"))) {
            assertThat(d.descriptor().diskSizeSectors()).isEqualTo(7 * 64);
        }
    }

    static Stream<Arguments> clusterSizesAndDepths() {
        List<Arguments> out = new ArrayList<>();
        for (int cs : new int[] {64, 2048}) {
            for (int depth = 1; depth <= 5; depth++) {
                out.add(Arguments.of(cs, depth));
            }
        }
        return out.stream();
    }

    /**
     * Random sequences of write / snapshot / merge / delete / switch / grow over chains of 1..5
     * snapshots, checked after every step against a model that maps each snapshot GUID to the bytes
     * it must read.
     */
    @ParameterizedTest(name = "cluster {0} sectors, depth {1}")
    @MethodSource("clusterSizesAndDepths")
    void randomOperationsMatchTheModel(int cs, int depth) throws Exception {
        long seed = cs * 31L + depth;
        Random r = new Random(seed);
        long cb = cs * 512L;
        int clusters = 4 + r.nextInt(3);
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(cb * clusters, cs, 2))) {
            Map<String, byte[]> model = new LinkedHashMap<>();
            model.put(TOP, randomWrites(d, new byte[(int) (cb * clusters)], r, 6, cb));
            for (int i = 0; i < depth; i++) {
                model.put(d.snapshot(null), model.get(TOP).clone());
                randomWrites(d, model.get(TOP), r, 4, cb);
            }
            verifyAll(d, model, "seed " + seed + " after building depth " + depth);
            for (int step = 0; step < 14; step++) {
                String why = "seed " + seed + " step " + step;
                List<String> others = d.descriptor().snapshots().stream().map(Snapshot::guid)
                        .filter(g -> !g.equals(TOP)).toList();
                String pick = others.isEmpty() ? TOP : others.get(r.nextInt(others.size()));
                java.util.Set<String> temporaries = new java.util.HashSet<>();
                d.descriptor().snapshots().stream().filter(Snapshot::temporary).forEach(t -> temporaries.add(t.guid()));
                int op = r.nextInt(7);
                switch (op) {
                    case 0 -> randomWrites(d, model.get(TOP), r, 3, cb);
                    case 1 -> model.put(d.snapshot(null), model.get(TOP).clone());
                    case 2 -> applyMerge(d, model, TOP, why);
                    case 3 -> applyMerge(d, model, pick, why);
                    case 4 -> applyDelete(d, model, pick, why);
                    case 5 -> {
                        if (!pick.equals(TOP)) {
                            d.switchTo(pick);
                            model.put(TOP, model.get(pick).clone());
                        }
                    }
                    default -> {
                        int grown = model.get(TOP).length + (int) cb * (1 + r.nextInt(2));
                        d.grow(grown);
                        model.put(TOP, Arrays.copyOf(model.get(TOP), grown));
                    }
                }
                // Delete and switch also delete Temporary snapshots left with at most one child.
                for (String t : temporaries) {
                    if (d.descriptor().snapshot(t) == null) {
                        model.remove(t);
                    }
                }
                for (Snapshot t : d.descriptor().snapshots()) {
                    if (t.temporary()) {
                        assertThat(d.descriptor().children(t.guid()).size()).as(why + ": Temporary " + t.guid())
                                .isGreaterThan(1);
                    }
                }
                verifyAll(d, model, why + " op " + op);
            }
        }
    }

    private static void applyMerge(Disk d, Map<String, byte[]> model, String child, String why) throws Exception {
        Snapshot s = d.descriptor().snapshot(child);
        if (s.isBase()) {
            assertThatThrownBy(() -> d.merge(child)).as(why).isInstanceOf(ImageException.class);
            return;
        }
        if (d.descriptor().children(s.parentGuid()).size() > 1) {
            assertThatThrownBy(() -> d.merge(child)).as(why).isInstanceOf(ImageException.class)
                    .hasMessageContaining("children");
            return;
        }
        d.merge(child);
        model.remove(s.parentGuid());
    }

    private static void applyDelete(Disk d, Map<String, byte[]> model, String g, String why) throws Exception {
        Snapshot s = d.descriptor().snapshot(g);
        List<Snapshot> kids = d.descriptor().children(g);
        if (g.equals(TOP) || (kids.isEmpty() && s.isBase())) {
            assertThatThrownBy(() -> d.deleteSnapshot(g)).as(why).isInstanceOf(ImageException.class);
            return;
        }
        if (kids.size() == 1 && d.descriptor().children(g).size() == 1) {
            d.deleteSnapshot(g);
            model.remove(g);
            return;
        }
        d.deleteSnapshot(g);
        if (kids.isEmpty()) {
            model.remove(g);
        } else {
            assertThat(d.descriptor().snapshot(g).temporary()).as(why).isTrue();
        }
    }
}
