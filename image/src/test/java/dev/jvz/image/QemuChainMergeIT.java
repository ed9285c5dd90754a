package dev.jvz.image;

import static dev.jvz.image.QemuTools.checkClean;
import static dev.jvz.image.QemuTools.compareEqual;
import static dev.jvz.image.QemuTools.qemuIo;
import static dev.jvz.image.QemuTools.requireTool;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A disk whose top delta qemu-io wrote (whole clusters, the delta opened as a standalone image): jvz
 * reads the stack as the merged view, and merging the top down gives a base that qemu-img checks
 * clean and compares equal to that view.
 */
class QemuChainMergeIT {
    @TempDir
    Path dir;

    @BeforeAll
    static void tools() {
        requireTool("qemu-img");
        requireTool("qemu-io");
    }

    @ParameterizedTest(name = "v{0}, {1} sectors")
    @CsvSource({"2,64", "1,2048", "2,2048"})
    void qemuWrittenTopExportsMergedAndMergesToTheSameBytes(int version, int clusterSectors) throws Exception {
        long cb = clusterSectors * 512L;
        int clusters = 16;
        long size = cb * clusters;
        Path model = dir.resolve("model.raw");
        Random r = new Random(31L * clusterSectors + version);
        Path desc;
        Path top;
        try (Disk disk = Disk.init(dir.resolve("root.hdd"), new CreateOptions(size, clusterSectors, version));
                FileChannel raw = FileChannel.open(model, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            desc = disk.descriptorPath();
            raw.write(ByteBuffer.allocate(1), size - 1);
            try (Image base = disk.openImage(true)) {
                for (long c = 0; c < clusters; c++) {
                    if (c % 4 == 3) {
                        continue; // holes in the base
                    }
                    byte[] b = new byte[(int) cb - 1024];
                    r.nextBytes(b);
                    base.write(c * cb + 512, ByteBuffer.wrap(b));
                    raw.write(ByteBuffer.wrap(b), c * cb + 512);
                }
            }
            disk.snapshot(null);
            top = disk.fileOf(DiskDescriptor.TOP_GUID);
            // Over base data (0, 5), over base holes (3, 7), and the last cluster.
            List<String> cmds = new ArrayList<>();
            for (long c : new long[] {0, 3, 5, 7, clusters - 1}) {
                int pattern = 0x30 + (int) c;
                cmds.add("write -P 0x" + Integer.toHexString(pattern) + " " + c * cb + " " + cb);
                byte[] b = new byte[(int) cb];
                Arrays.fill(b, (byte) pattern);
                raw.write(ByteBuffer.wrap(b), c * cb);
            }
            qemuIo(top, cmds.toArray(String[]::new));
        }
        checkClean(top);

        try (Disk disk = Disk.open(desc)) {
            assertThat(export(disk, "view.raw")).as("merged view vs model").isEqualTo(-1);
            disk.mergeTop();
            assertThat(disk.snapshots()).hasSize(1);
            assertThat(Files.exists(top)).as("merged top file removed").isFalse();
            assertThat(export(disk, "merged.raw")).as("after merge vs model").isEqualTo(-1);
        }
        Path base = dir.resolve("root.hdd");
        checkClean(base);
        compareEqual(base, model);
    }

    private long export(Disk disk, String name) throws Exception {
        Path out = dir.resolve(name);
        try (Image img = disk.openImage(false)) {
            Convert.export(img, img.clusterBytes(), out, false, Progress.NONE);
        }
        return Files.mismatch(out, dir.resolve("model.raw"));
    }
}
