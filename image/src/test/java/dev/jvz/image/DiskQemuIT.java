package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * QEMU's parallels driver as the oracle: every delta that snapshot, grow (with relocation) and merge
 * leave behind passes {@code qemu-img check -f parallels}, and the merged, grown disk compares equal
 * to a raw image of what jvz reads.
 */
class DiskQemuIT {
    static final int CS = 64;
    static final long CB = CS * 512L;
    /** One 32 KiB header cluster holds this many BAT entries; see DiskGrowTest. */
    static final long ONE_HEADER_CLUSTER_ENTRIES = (CB - PloopFormat.HEADER_SIZE) / PloopFormat.BAT_ENTRY_SIZE;

    @TempDir
    Path tmp;

    static String run(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " timed out");
        }
        String s = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new AssertionError("'" + String.join(" ", cmd) + "' exited " + p.exitValue() + ":\n" + s);
        }
        return s;
    }

    static void qemuCheck(Path delta) throws Exception {
        String out = run("qemu-img", "check", "-f", "parallels", delta.toString());
        assertThat(out).as(delta + ": " + out).contains("No errors were found");
    }

    static void qemuCheckAll(Disk d) throws Exception {
        for (DiskDescriptor.ImageEntry e : d.descriptor().images()) {
            qemuCheck(d.directory().resolve(e.file()));
        }
    }

    static void writeRandomClusters(Disk d, long clusters, int n, Random r) throws Exception {
        try (Image img = d.openImage(true)) {
            byte[] data = new byte[(int) CB];
            for (int i = 0; i < n; i++) {
                r.nextBytes(data);
                img.write(r.nextLong(clusters) * CB, ByteBuffer.wrap(data));
            }
        }
    }

    /** A sparse raw file with exactly what jvz reads from the disk. */
    static Path exportRaw(Disk d, Path raw) throws Exception {
        try (Image img = d.openImage(false);
                FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            out.truncate(0);
            ByteBuffer buf = ByteBuffer.allocate((int) CB);
            for (long c = 0; c < img.clusters(); c++) {
                if (img.layerOf(c) >= 0) {
                    buf.clear();
                    img.read(c * CB, buf);
                    buf.flip();
                    long pos = c * CB;
                    while (buf.hasRemaining()) {
                        pos += out.write(buf, pos);
                    }
                }
            }
            if (out.size() < img.size()) {
                out.write(ByteBuffer.allocate(1), img.size() - 1);
            }
        }
        return raw;
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2})
    void qemuAcceptsEveryDeltaAfterSnapshotGrowAndMerge(int version) throws Exception {
        QemuTools.requireTool("qemu-img");
        Path dir = Files.createDirectories(tmp.resolve("disk"));
        Random r = new Random(version * 13L);
        long clusters = ONE_HEADER_CLUSTER_ENTRIES;
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(clusters * CB, CS, version))) {
            qemuCheckAll(d);
            writeRandomClusters(d, clusters, 12, r);
            d.snapshot(null);
            writeRandomClusters(d, clusters, 8, r);
            qemuCheckAll(d);

            // The top's BAT outgrows its header cluster: data clusters move to EOF.
            long grown = clusters * 4;
            d.grow(grown * CB);
            writeRandomClusters(d, grown, 8, r);
            qemuCheckAll(d);
            Path beforeMerge = exportRaw(d, tmp.resolve("before-merge.raw"));

            // Merging the grown top into the smaller base grows (and relocates) the base first.
            d.mergeTop();
            assertThat(d.descriptor().images()).hasSize(1);
            qemuCheckAll(d);
            Path afterMerge = exportRaw(d, tmp.resolve("after-merge.raw"));
            String base = d.directory().resolve(d.descriptor().images().getFirst().file()).toString();
            run("qemu-img", "compare", "-f", "parallels", "-F", "raw", base, beforeMerge.toString());
            run("qemu-img", "compare", "-f", "raw", "-F", "raw", afterMerge.toString(), beforeMerge.toString());

            // And what QEMU itself writes into the grown image, jvz reads back.
            List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "parallels", "-c",
                    "write -P 0x5a " + (grown - 1) * CB + " " + CB, base));
            if (QemuTools.onPath("qemu-io")) {
                run(cmd.toArray(String[]::new));
                try (Image img = d.openImage(false)) {
                    ByteBuffer b = ByteBuffer.allocate((int) CB);
                    img.read((grown - 1) * CB, b);
                    for (byte x : b.array()) {
                        assertThat(x).isEqualTo((byte) 0x5a);
                    }
                }
            }
        }
    }
}
