package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.SnapshotInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk snapshots of a container: taken stopped (directly on the disk) and running (through the node,
 * file system frozen), switched back to (the later state is gone), deleted; switch and delete refuse a
 * running container.
 */
class ContainerSnapshotIT {
    @TempDir
    Path tmp;
    CtFixture fx;
    Containers cts;

    @BeforeEach
    void setUp() throws Exception {
        fx = new CtFixture(tmp);
        cts = fx.cts;
    }

    @AfterEach
    void tearDown() throws Exception {
        fx.close();
    }

    private void sh(String ctid, String script) throws CtException {
        assertThat(cts.exec(ctid, List.of("/bin/sh", "-c", script), null, Duration.ofSeconds(20)).exitCode()).isZero();
    }

    @Test
    void snapshotsTakenStoppedAndRunningCanBeSwitchedToAndDeleted() throws Exception {
        String ctid = CtFixture.newCtid();
        CtConfig c = cts.create(CreateRequest.of(ctid, "busybox"));
        cts.start(ctid);
        sh(ctid, "echo one > /root/one; sync");
        cts.stop(ctid, false);
        String stopped = cts.snapshot(ctid, null);

        cts.start(ctid);
        sh(ctid, "echo two > /root/two");
        String running = cts.snapshot(ctid, null);
        sh(ctid, "echo three > /root/three");
        assertThatThrownBy(() -> cts.switchSnapshot(ctid, stopped)).isInstanceOf(CtStateException.class)
                .hasMessageContaining("needs it stopped");
        cts.stop(ctid, false);

        List<SnapshotInfo> list = cts.snapshots(ctid);
        assertThat(list).extracting(SnapshotInfo::uuid).contains(stopped, running).hasSize(3);

        cts.switchSnapshot(ctid, running);
        cts.mount(ctid);
        assertThat(c.veRoot().resolve("root/two")).hasContent("two");
        assertThat(c.veRoot().resolve("root/three")).doesNotExist();
        cts.umount(ctid);

        cts.switchSnapshot(ctid, stopped);
        cts.deleteSnapshot(ctid, running);
        assertThat(cts.snapshots(ctid)).extracting(SnapshotInfo::uuid).doesNotContain(running);
        cts.start(ctid);
        assertThat(Files.readString(c.veRoot().resolve("root/one"))).isEqualTo("one\n");
        assertThat(c.veRoot().resolve("root/two")).doesNotExist();
        cts.stop(ctid, true);
        cts.destroy(ctid);
        assertThat(fx.leftovers(ctid)).isEmpty();
    }

    private long dfKb(String ctid) throws CtException {
        String[] lines = cts.exec(ctid, List.of("/bin/sh", "-c", "df -k /"), null, Duration.ofSeconds(20)).stdout()
                .strip().split("\n");
        return Long.parseLong(lines[lines.length - 1].trim().split("\\s+")[1]);
    }

    @Test
    void aStoppedContainersDiskGrowsAndItsFileSystemFollowsAtStartButNeverShrinks() throws Exception {
        String ctid = CtFixture.newCtid();
        cts.create(CreateRequest.of(ctid, "busybox"));
        cts.start(ctid);
        long before = dfKb(ctid);
        cts.stop(ctid, false);
        assertThat(cts.set(ctid, SetRequest.none().withDiskspace(512L << 20), false).warnings()).isEmpty();
        assertThat(cts.config(ctid).diskspace()).isEqualTo(512L << 20);
        assertThatThrownBy(() -> cts.set(ctid, SetRequest.none().withDiskspace(64L << 20), true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("can grow a disk but not shrink it");
        cts.start(ctid);
        assertThat(dfKb(ctid)).as("df before %d KiB", before).isGreaterThan(before + 200_000);
        cts.stop(ctid, true);
        cts.destroy(ctid);
        assertThat(fx.leftovers(ctid)).isEmpty();
    }
}
