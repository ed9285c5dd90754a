package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mounted-disk commands through the real bin/jvz: the CLI starts the node in the background
 * (setsid), routes snapshot, grow and snapshot-delete of a mounted disk to it, and a node killed with
 * SIGKILL is recovered by the next start (stale mounts removed, the image left in use checked, disk
 * re-mounted).
 */
class NodeCliIT {
    private static Path jvz;

    @TempDir
    Path work;
    Path node;
    JvzProcess proc;
    Path hdd;
    Path mnt;

    @BeforeAll
    static void findLauncher() {
        jvz = LauncherIT.launcherWith("nbdfuse", "losetup", "mkfs.ext4", "fusermount3", "fsfreeze", "qemu-img");
    }

    @BeforeEach
    void setUp() throws Exception {
        node = work.resolve("node");
        proc = new JvzProcess(jvz, work, node);
        hdd = Files.createDirectories(work.resolve("private/101/root.hdd"));
        mnt = Files.createDirectories(work.resolve("root/101"));
    }

    @AfterEach
    void tearDown() throws Exception {
        // Whatever a failed test left: the node unmounts everything on a forced stop.
        proc.run("node", "stop", "-q", "--force");
        if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + mnt + " ")) {
            new ProcessBuilder("umount", "-l", mnt.toString()).start().waitFor(30, TimeUnit.SECONDS);
        }
    }




    private String desc() {
        return hdd.resolve("DiskDescriptor.xml").toString();
    }

    @Test
    void mountSnapshotGrowUmountThroughTheCli() throws Exception {
        proc.ok("ploop", "init", "-s", "128M", hdd.resolve("root.hdd").toString());
        JvzProcess.Run status = proc.run("node", "status");
        assertThat(status.exitCode()).isEqualTo(ExitCodes.NODE_UNAVAILABLE);

        proc.ok("ploop", "mount", "-m", mnt.toString(), desc());
        JsonNode list = proc.ok("ploop", "list", "--json").json();
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("mount_point").asText()).isEqualTo(mnt.toString());
        Files.writeString(mnt.resolve("before.txt"), "before");

        JsonNode snap = proc.ok("ploop", "snapshot", "--json", desc()).json();
        assertThat(snap.get("uuid").asText()).startsWith("{");
        Files.writeString(mnt.resolve("after.txt"), "after");
        assertThat(proc.ok("ploop", "snapshot-list", "--json", desc()).json().get("snapshots")).hasSize(2);

        JsonNode grown = proc.ok("ploop", "grow", "-s", "256M", "--json", desc()).json();
        assertThat(grown.get("new_size").asLong()).isEqualTo(256L << 20);

        // The snapshot sits under the grown top: deleting it merges the top down into it while mounted.
        JsonNode deleted = proc.ok("ploop", "snapshot-delete", "--json", "-u", snap.get("uuid").asText(), desc()).json();
        assertThat(deleted.get("action").asText()).isEqualTo("merged_child");
        assertThat(proc.ok("ploop", "snapshot-list", "--json", desc()).json().get("snapshots")).hasSize(1);
        Files.writeString(mnt.resolve("after-delete.txt"), "after delete");

        JvzProcess.Run busy = proc.run("ploop", "mount", "-m", mnt.toString(), desc());
        assertThat(busy.exitCode()).as(busy.toString()).isEqualTo(ExitCodes.BUSY);
        assertThat(busy.err().lines().count()).isEqualTo(1);

        proc.ok("ploop", "umount", "-m", mnt.toString());
        assertThat(proc.ok("ploop", "list", "--json").json()).isEmpty();
        proc.ok("ploop", "check", "-f", desc());
        proc.ok("ploop", "mount", "-r", "-m", mnt.toString(), desc());
        assertThat(Files.readString(mnt.resolve("after.txt"))).isEqualTo("after");
        assertThat(Files.readString(mnt.resolve("before.txt"))).isEqualTo("before");
        assertThat(Files.readString(mnt.resolve("after-delete.txt"))).isEqualTo("after delete");
        proc.ok("ploop", "umount", desc());
        proc.ok("node", "stop");
        assertThat(proc.run("node", "status").exitCode()).isEqualTo(ExitCodes.NODE_UNAVAILABLE);
    }

    @Test
    void aNodeKilledWithSigkillIsRecoveredByTheNextStart() throws Exception {
        proc.ok("ploop", "init", "-s", "128M", hdd.resolve("root.hdd").toString());
        proc.ok("ploop", "mount", "-m", mnt.toString(), desc());
        Files.writeString(mnt.resolve("durable.txt"), "synced before the crash");
        new ProcessBuilder("sync", "-f", mnt.toString()).start().waitFor(60, TimeUnit.SECONDS);
        long pid = proc.ok("node", "status", "--json").json().get("pid").asLong();
        ProcessHandle h = ProcessHandle.of(pid).orElseThrow();
        h.destroyForcibly();
        h.onExit().get(30, TimeUnit.SECONDS);

        JvzProcess.Run started = proc.ok("node", "start");
        assertThat(started.out()).contains("runs on");
        String log = Files.readString(node.resolve("node.log"));
        assertThat(log).contains("checked").contains("re-mounted");
        JsonNode list = proc.ok("ploop", "list", "--json").json();
        assertThat(list).hasSize(1);
        assertThat(Files.readString(mnt.resolve("durable.txt"))).isEqualTo("synced before the crash");
        proc.ok("ploop", "umount", "-m", mnt.toString());
        proc.ok("node", "stop");
        for (Path delta : List.of(hdd.resolve("root.hdd"))) {
            Process q = new ProcessBuilder("qemu-img", "check", "-f", "parallels", delta.toString()).start();
            assertThat(q.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(q.exitValue()).isZero();
        }
    }
}
