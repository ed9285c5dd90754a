package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.image.DiskDescriptor.ImageEntry;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/** Shared helpers for the Disk tests: random writes, whole-disk reads, per-snapshot verification. */
final class DiskTestSupport {
    private DiskTestSupport() {}

    /** Writes {@code n} random extents through the disk's writable image and mirrors them into {@code model}. */
    static byte[] randomWrites(Disk disk, byte[] model, Random r, int n, long clusterBytes) throws Exception {
        try (Image img = disk.openImage(true)) {
            assertThat(img.size()).isEqualTo(model.length);
            for (int i = 0; i < n; i++) {
                int off = r.nextInt(model.length);
                int len = 1 + r.nextInt((int) Math.min(model.length - off, clusterBytes * 2));
                byte[] data = new byte[len];
                r.nextBytes(data);
                img.write(off, ByteBuffer.wrap(data));
                System.arraycopy(data, 0, model, off, len);
            }
        }
        return model;
    }

    static byte[] readAll(Image img) throws IOException {
        ByteBuffer all = ByteBuffer.allocate(Math.toIntExact(img.size()));
        img.read(0, all);
        return all.array();
    }

    /** Reads what snapshot {@code guid} holds: its chain, base first, opened read-only. */
    static byte[] readSnapshot(Path dir, DiskDescriptor d, String guid) throws Exception {
        List<Path> chain = new ArrayList<>();
        for (ImageEntry e : d.chainOf(guid)) {
            chain.add(dir.resolve(e.file()));
        }
        try (Image img = Image.openStack(chain, false)) {
            return readAll(img);
        }
    }

    /** Every snapshot of the disk reads as the model says, the model names exactly the descriptor's snapshots. */
    static void verifyAll(Disk disk, Map<String, byte[]> model, String why) throws Exception {
        DiskDescriptor d = disk.descriptor();
        assertThat(d.snapshots()).extracting(DiskDescriptor.Snapshot::guid).as(why)
                .containsExactlyInAnyOrderElementsOf(model.keySet());
        for (String g : model.keySet()) {
            assertSameContent(readSnapshot(disk.directory(), d, g), model.get(g), why + ": snapshot " + g);
        }
        try (Image img = disk.openImage(false)) {
            assertThat(d.diskSizeSectors() * PloopFormat.SECTOR_SIZE).as(why + ": Disk_size").isEqualTo(img.size());
        }
        // No stray delta files: every file in the directory is the descriptor, its lock, or a named image.
        try (Stream<Path> files = Files.list(disk.directory())) {
            List<String> names = files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.startsWith(Disk.DESCRIPTOR_NAME)).toList();
            assertThat(names).as(why + ": files").containsExactlyInAnyOrderElementsOf(
                    d.images().stream().map(ImageEntry::file).toList());
        }
    }

    /** {@code actual} equals {@code expected}, except that the longer may continue with zeros (grow). */
    static void assertSameContentZeroExtended(byte[] actual, byte[] expected, String why) {
        int n = Math.min(actual.length, expected.length);
        int diff = java.util.Arrays.mismatch(actual, 0, n, expected, 0, n);
        if (diff >= 0) {
            throw new AssertionError(why + ": byte " + diff + " is " + actual[diff] + ", expected " + expected[diff]
                    + " (sizes " + actual.length + " and " + expected.length + ")");
        }
        byte[] longer = actual.length > n ? actual : expected;
        for (int i = n; i < longer.length; i++) {
            if (longer[i] != 0) {
                throw new AssertionError(why + ": byte " + i + " past the common size " + n + " is " + longer[i]
                        + ", not 0");
            }
        }
    }

    /** Equal arrays, failing with the first differing offset instead of a dump of both. */
    static void assertSameContent(byte[] actual, byte[] expected, String why) {
        if (actual.length != expected.length) {
            throw new AssertionError(why + ": size " + actual.length + ", expected " + expected.length);
        }
        assertSameContentZeroExtended(actual, expected, why);
    }

    /** Copies every regular file of {@code from} into a new directory {@code to}, as a crash would leave them. */
    static void copyDir(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path p : files.toList()) {
                if (Files.isRegularFile(p) && !p.getFileName().toString().endsWith(DiskLock.SUFFIX)) {
                    Files.copy(p, to.resolve(p.getFileName()));
                }
            }
        }
    }
}
