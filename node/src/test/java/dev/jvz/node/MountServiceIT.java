package dev.jvz.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The kernel path for real: NBD export, nbdfuse + losetup (or nbd-client), ext4, mount. */
class MountServiceIT {
    @TempDir
    Path tmp;
    Path desc;
    Path mnt;
    MountService service;

    @BeforeEach
    void setUp() throws Exception {
        NodeTools.require("nbdfuse", "losetup", "mkfs.ext4", "fusermount3", "qemu-img");
        Path hdd = tmp.resolve("root.hdd");
        Files.createDirectories(hdd);
        try (Disk d = Disk.init(hdd.resolve("root.hdd"), CreateOptions.of(256L << 20))) {
            desc = d.descriptorPath();
        }
        MountService.withDevice(desc, Fs::mkfsExt4);
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        service = new MountService(new NodePaths(tmp.resolve("node")));
    }

    @AfterEach
    void tearDown() throws Exception {
        // Unmounts whatever a failed test left, so no loop device or FUSE mount outlives the test.
        if (service != null) {
            service.close();
        }
    }

    @Test
    void filesSurviveUmountAndMountAndTheImageChecksClean() throws Exception {
        MountRecord r = service.mount(desc, mnt, false);
        assertThat(r.device()).startsWith("/dev/");
        assertThat(Mounts.isMountPoint(mnt)).isTrue();
        Files.writeString(mnt.resolve("hello.txt"), "hello from jvz\n");
        byte[] big = new byte[3 << 20];
        new java.util.Random(1).nextBytes(big);
        Files.write(mnt.resolve("big.bin"), big);
        assertThat(service.list()).extracting(MountRecord::mountPoint).containsExactly(mnt);

        service.umount(mnt);
        assertThat(Mounts.isMountPoint(mnt)).isFalse();
        assertThat(service.list()).isEmpty();
        Exec.check(Duration.ofSeconds(60), List.of("qemu-img", "check", "-f", "parallels",
                desc.getParent().resolve("root.hdd").toString()));

        service.mount(desc, mnt, false);
        assertThat(Files.readString(mnt.resolve("hello.txt"))).isEqualTo("hello from jvz\n");
        assertThat(Files.readAllBytes(mnt.resolve("big.bin"))).isEqualTo(big);
        service.umount(desc);
    }

    @Test
    void mountingTwiceOrOnABusyDirectoryIsRefusedAndLeavesTheFirstMountWorking() throws Exception {
        service.mount(desc, mnt, false);
        assertThatThrownBy(() -> service.mount(desc, Files.createDirectories(tmp.resolve("other")), false))
                .isInstanceOf(NodeException.class).hasMessageContaining("already mounted");
        Files.writeString(mnt.resolve("still.txt"), "ok");
        assertThat(Files.readString(mnt.resolve("still.txt"))).isEqualTo("ok");
        service.umount(mnt);
    }

    @Test
    void aFailedMountUndoesEveryLayer() throws Exception {
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        assertThatThrownBy(() -> service.mount(desc, notADir, false)).isInstanceOf(NodeException.class)
                .hasMessageContaining("not a directory");
        // The disk lock was released: a correct mount works at once.
        service.mount(desc, mnt, false);
        service.umount(mnt);
        assertThat(service.list()).isEmpty();
    }

    @Test
    void readOnlyMountRefusesWrites() throws Exception {
        service.mount(desc, mnt, false);
        Files.writeString(mnt.resolve("a.txt"), "a");
        service.umount(mnt);
        service.mount(desc, mnt, true);
        assertThat(Files.readString(mnt.resolve("a.txt"))).isEqualTo("a");
        assertThatThrownBy(() -> Files.writeString(mnt.resolve("b.txt"), "b")).isInstanceOf(java.io.IOException.class);
        service.umount(mnt);
    }
}
