package dev.jvz.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.image.Convert;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import dev.jvz.image.Image;
import dev.jvz.image.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Snapshot and merge while the disk is mounted and written, through the node's control socket. */
class LiveOpsIT {
    @TempDir
    Path tmp;
    Path desc;
    Path mnt;
    Path check;
    NodePaths paths;
    NodeDaemon daemon;
    NodeClient client;

    @BeforeEach
    void setUp() throws Exception {
        NodeTools.require("nbdfuse", "losetup", "mkfs.ext4", "fusermount3", "fsfreeze", "qemu-img");
        Path hdd = Files.createDirectories(tmp.resolve("root.hdd"));
        try (Disk d = Disk.init(hdd.resolve("root.hdd"), CreateOptions.of(128L << 20))) {
            desc = d.descriptorPath();
        }
        MountService.withDevice(desc, Fs::mkfsExt4);
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        check = Files.createDirectories(tmp.resolve("check"));
        paths = new NodePaths(tmp.resolve("node"));
        daemon = new NodeDaemon(paths);
        daemon.start();
        client = new NodeClient(paths);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (Mounts.isMountPoint(check)) {
            Fs.umount(check, true);
        }
        try {
            client.shutdown(true);
        } catch (NodeException ignored) {
            // already stopped
        }
        daemon.awaitStop();
    }

    @Test
    void snapshotWhileMountedKeepsTheOldContentAndTheTopTakesNewWrites() throws Exception {
        client.mount(desc, mnt, false);
        Files.writeString(mnt.resolve("before.txt"), "before");
        String guid = client.live("snapshot", mnt, null, null).get("guid").asText();
        Files.writeString(mnt.resolve("after.txt"), "after");
        JsonNode list = client.live("snapshot-list", desc, null, null);
        assertThat(list).hasSize(2);
        client.umount(mnt);

        List<Path> snapChain = new ArrayList<>();
        List<Path> topChain = new ArrayList<>();
        try (Disk d = Disk.open(desc)) {
            for (var e : d.descriptor().chainOf(guid)) {
                snapChain.add(d.directory().resolve(e.file()));
            }
            for (var e : d.descriptor().activeChain()) {
                topChain.add(d.directory().resolve(e.file()));
            }
        }
        for (Path delta : topChain) {
            Exec.check(Duration.ofSeconds(60), List.of("qemu-img", "check", "-f", "parallels", delta.toString()));
        }
        assertThat(filesIn(snapChain)).contains("before.txt").doesNotContain("after.txt");
        assertThat(filesIn(topChain)).contains("before.txt", "after.txt");
    }

    @Test
    void mergeOfASnapshotBelowTheTopWhileMountedKeepsEveryFile() throws Exception {
        client.mount(desc, mnt, false);
        Files.writeString(mnt.resolve("one.txt"), "1");
        String s1 = client.live("snapshot", mnt, null, null).get("guid").asText();
        Files.writeString(mnt.resolve("two.txt"), "2");
        client.live("snapshot", mnt, null, null);
        Files.writeString(mnt.resolve("three.txt"), "3");
        // s1's child is the second snapshot: merging that child down into s1 removes one delta.
        String child = null;
        for (JsonNode s : client.live("snapshot-list", desc, null, null)) {
            if (s.get("parentUuid").asText().equals(s1)) {
                child = s.get("uuid").asText();
            }
        }
        assertThat(client.live("snapshot-list", desc, null, null)).hasSize(3);
        assertThatThrownBy(() -> client.live("snapshot-merge", desc, "{11111111-2222-3333-4444-555555555555}", null))
                .isInstanceOf(NodeException.class).hasMessageContaining("no snapshot");
        String snapshotBelowTop = child;
        // The second snapshot's child is the active top; merge the second snapshot into s1 instead.
        client.live("snapshot-merge", desc, snapshotBelowTop, null);
        assertThat(client.live("snapshot-list", desc, null, null)).hasSize(2);
        Files.writeString(mnt.resolve("four.txt"), "4");
        assertThat(Files.readString(mnt.resolve("two.txt"))).isEqualTo("2");
        client.umount(mnt);
        client.mount(desc, mnt, false);
        assertThat(Files.readString(mnt.resolve("one.txt"))).isEqualTo("1");
        assertThat(Files.readString(mnt.resolve("two.txt"))).isEqualTo("2");
        assertThat(Files.readString(mnt.resolve("three.txt"))).isEqualTo("3");
        assertThat(Files.readString(mnt.resolve("four.txt"))).isEqualTo("4");
        client.umount(mnt);
    }

    @Test
    void deleteOfTheSnapshotUnderTheTopWhileMountedAndWrittenKeepsEveryFile() throws Exception {
        client.mount(desc, mnt, false);
        byte[] big = new byte[24 << 20];
        new java.util.Random(5).nextBytes(big);
        Files.write(mnt.resolve("before.bin"), big);
        Files.writeString(mnt.resolve("before.txt"), "before");
        String s = client.live("snapshot", mnt, null, null).get("guid").asText();
        Files.writeString(mnt.resolve("after.txt"), "after");
        byte[] during = new byte[32 << 20];
        new java.util.Random(6).nextBytes(during);
        // A writer keeps the file system busy while the node merges the top down into s.
        var writerFailure = new java.util.concurrent.atomic.AtomicReference<Throwable>();
        Thread writer = Thread.ofPlatform().start(() -> {
            try (var ch = java.nio.channels.FileChannel.open(mnt.resolve("during.bin"),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
                for (int off = 0; off < during.length; off += 1 << 20) {
                    ch.write(java.nio.ByteBuffer.wrap(during, off, 1 << 20), off);
                    ch.force(false);
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            }
        });
        JsonNode r = client.live("snapshot-delete", mnt, s, null);
        writer.join();
        assertThat(writerFailure.get()).isNull();
        assertThat(r.get("deleted").asText()).isEqualTo(s);
        JsonNode list = client.live("snapshot-list", desc, null, null);
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("uuid").asText()).isNotEqualTo(s);
        Files.writeString(mnt.resolve("after-delete.txt"), "after delete");
        assertThatThrownBy(() -> client.live("snapshot-delete", mnt, s, null)).isInstanceOf(NodeException.class)
                .hasMessageContaining("no snapshot");
        // The top itself merges down too (snapshot-merge without a GUID).
        client.live("snapshot", mnt, null, null);
        Files.writeString(mnt.resolve("merged.txt"), "merged");
        client.live("snapshot-merge", mnt, null, null);
        assertThat(client.live("snapshot-list", desc, null, null)).hasSize(1);
        client.umount(mnt);
        try (Disk d = Disk.open(desc)) {
            assertThat(d.descriptor().activeChain()).hasSize(1);
            Exec.check(Duration.ofSeconds(60), List.of("qemu-img", "check", "-f", "parallels",
                    d.directory().resolve(d.descriptor().activeChain().getFirst().file()).toString()));
            try (var files = Files.list(d.directory())) {
                assertThat(files.filter(p -> !p.getFileName().toString().startsWith(Disk.DESCRIPTOR_NAME)))
                        .as("no stray delta").hasSize(1);
            }
        }
        client.mount(desc, mnt, false);
        assertThat(Files.readAllBytes(mnt.resolve("before.bin"))).isEqualTo(big);
        assertThat(Files.readAllBytes(mnt.resolve("during.bin"))).isEqualTo(during);
        assertThat(Files.readString(mnt.resolve("before.txt"))).isEqualTo("before");
        assertThat(Files.readString(mnt.resolve("after.txt"))).isEqualTo("after");
        assertThat(Files.readString(mnt.resolve("after-delete.txt"))).isEqualTo("after delete");
        assertThat(Files.readString(mnt.resolve("merged.txt"))).isEqualTo("merged");
        client.umount(mnt);
    }

    @Test
    void growWhileMountedGrowsTheDeviceAndTheFileSystemFillsItOnlineOrAtTheNextMount() throws Exception {
        MountRecord r = client.mount(desc, mnt, false);
        long before = Files.getFileStore(mnt).getTotalSpace();
        Files.writeString(mnt.resolve("kept.txt"), "kept");
        JsonNode g = client.live("grow", mnt, null, 256L << 20);
        assertThat(g.get("size").asLong()).isEqualTo(256L << 20);
        assertThat(blockDeviceSize(r.device())).isEqualTo(256L << 20);
        if (!g.get("fsResized").asBoolean()) {
            // Hosts without CAP_SYS_RESOURCE refuse online resize: the next mount grows the file system.
            assertThat(g.get("note").asText()).contains("next mounted");
            client.umount(mnt);
            client.mount(desc, mnt, false);
        }
        assertThat(Files.getFileStore(mnt).getTotalSpace()).isGreaterThan(before + (100L << 20));
        assertThat(Files.readString(mnt.resolve("kept.txt"))).isEqualTo("kept");
        byte[] big = new byte[150 << 20];
        new java.util.Random(7).nextBytes(big);
        Files.write(mnt.resolve("big.bin"), big); // more than the disk held before the grow
        client.umount(mnt);
        assertThatThrownBy(() -> client.live("grow", desc, null, 512L << 20)).isInstanceOf(NodeException.class)
                .hasMessageContaining("not mounted");
        try (Disk d = Disk.open(desc)) {
            for (var e : d.descriptor().activeChain()) {
                Exec.check(Duration.ofSeconds(60), List.of("qemu-img", "check", "-f", "parallels",
                        d.directory().resolve(e.file()).toString()));
            }
        }
        client.mount(desc, mnt, false);
        assertThat(Files.readAllBytes(mnt.resolve("big.bin"))).isEqualTo(big);
        client.umount(mnt);
    }

    private static long blockDeviceSize(String device) throws Exception {
        return Long.parseLong(Exec.check(Duration.ofSeconds(10), List.of("blockdev", "--getsize64", device))
                .stdout().strip());
    }

    /** Exports a chain to a raw file and lists the root directory of its ext4 through a read-only loop mount. */
    private List<String> filesIn(List<Path> chain) throws Exception {
        Path raw = tmp.resolve("export-" + System.nanoTime() + ".raw");
        try (Image img = Image.openStack(chain, false)) {
            Convert.export(img, img.clusterBytes(), raw, false, Progress.NONE);
        }
        Exec.check(Duration.ofSeconds(30), List.of("mount", "-o", "ro,loop,noload", raw.toString(), check.toString()));
        try (var s = Files.list(check)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } finally {
            Fs.umount(check, false);
            Files.delete(raw);
        }
    }
}
