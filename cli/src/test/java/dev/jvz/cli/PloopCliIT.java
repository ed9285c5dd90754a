package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The disk commands end to end through the real launcher, bin/jvz: init with a real ext4 file system
 * (the node's kernel path: NBD export, nbdfuse + losetup or nbd-client, mkfs.ext4), snapshot,
 * snapshot-list, check, export; then qemu-img, the independent oracle, checks every delta and the
 * exported disk must carry the ext4 superblock that mkfs wrote.
 */
class PloopCliIT {
    private static Path jvz;

    @TempDir
    Path work;

    @BeforeAll
    static void tools() {
        jvz = LauncherIT.launcherWith("qemu-img", "mkfs.ext4", "losetup", "nbdfuse", "fusermount3");
        LauncherIT.require(Files.exists(Path.of("/dev/fuse")), "/dev/fuse is missing: init -t ext4 cannot attach the disk",
                "/dev/fuse is missing");
    }

    record Run(int exitCode, String out, String err) {}

    private Run run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(args));
        if (!args[0].equals("qemu-img")) {
            cmd.addFirst(jvz.toString());
        }
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(180, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in 180 s");
        }
        Run r = new Run(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    @Test
    void initWithExt4SnapshotListCheckExportAndQemuAgrees() throws Exception {
        Files.createDirectories(work.resolve("root.hdd"));
        Run init = run("ploop", "init", "-s", "64M", "root.hdd/root.hdd");
        assertThat(init.exitCode()).as(init.toString()).isZero();
        assertThat(init.out()).contains("ext4 file system");
        String xml = "root.hdd/DiskDescriptor.xml";

        Run snap = run("ploop", "snapshot", "--json", xml);
        assertThat(snap.exitCode()).as(snap.toString()).isZero();
        String snapshotUuid = Json.mapper().readTree(snap.out()).get("uuid").asText();

        Run list = run("ploop", "snapshot-list", "--json", xml);
        assertThat(list.exitCode()).as(list.toString()).isZero();
        JsonNode shots = Json.mapper().readTree(list.out()).get("snapshots");
        assertThat(shots).hasSize(2);
        assertThat(shots.get(0).get("uuid").asText()).isEqualTo(snapshotUuid);
        assertThat(shots.get(1).get("current").asBoolean()).isTrue();

        Run check = run("ploop", "check", "-f", xml);
        assertThat(check.exitCode()).as(check.toString()).isZero();

        Run export = run("ploop", "export", xml, "disk.raw");
        assertThat(export.exitCode()).as(export.toString()).isZero();
        assertThat(Files.size(work.resolve("disk.raw"))).isEqualTo(64L << 20);
        // ext4 superblock at byte 1024; its magic 0xEF53 at offset 56 (Linux ext4 disk layout).
        try (FileChannel ch = FileChannel.open(work.resolve("disk.raw"))) {
            ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, 1024 + 56);
            assertThat(b.getShort(0) & 0xffff).as("ext4 magic").isEqualTo(0xEF53);
        }

        for (JsonNode s : shots) {
            Run q = run("qemu-img", "check", "-f", "parallels", s.get("file").asText());
            assertThat(q.exitCode()).as(s.get("file").asText() + ": " + q).isZero();
        }
        Run merge = run("ploop", "snapshot-merge", xml);
        assertThat(merge.exitCode()).as(merge.toString()).isZero();
        Run after = run("ploop", "snapshot-list", "-H", "-o", "fname", xml);
        assertThat(after.out().lines().count()).isEqualTo(1);
    }

    @Test
    void initOfAnExistingImageFailsAndTouchesNothing() throws Exception {
        Files.createDirectories(work.resolve("root.hdd"));
        Files.writeString(work.resolve("root.hdd/root.hdd"), "precious");
        Run init = run("ploop", "init", "-s", "64M", "root.hdd/root.hdd");
        assertThat(init.exitCode()).as(init.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(init.err().lines().count()).isEqualTo(1);
        assertThat(Files.readString(work.resolve("root.hdd/root.hdd"))).isEqualTo("precious");
        assertThat(work.resolve("root.hdd/DiskDescriptor.xml")).doesNotExist();
    }
}
