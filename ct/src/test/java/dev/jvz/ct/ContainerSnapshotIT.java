package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.SnapshotInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Disk snapshots of a container: taken stopped (directly on the disk) and running (through the node,
 * file system frozen), switched back to (the later state is gone), deleted. A running container's
 * snapshot is deleted live (same init, data intact) and a switch of a running container stops,
 * switches and starts it again.
 */
class ContainerSnapshotIT extends ContainerTestBase {
    @Test
    void snapshotsTakenStoppedAndRunningCanBeSwitchedToAndDeleted() throws Exception {
        String ctid = CtFixture.newCtid();
        CtConfig c = cts.create(CreateRequest.of(ctid, "busybox"));
        cts.start(ctid);
        fx.sh(ctid, "echo one > /root/one; sync");
        cts.stop(ctid, false);
        String stopped = cts.snapshot(ctid, null);

        cts.start(ctid);
        fx.sh(ctid, "echo two > /root/two");
        String running = cts.snapshot(ctid, null);
        fx.sh(ctid, "echo three > /root/three");
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
        fx.killDestroyAndAssertClean(ctid);
    }

    @Test
    void aRunningContainersSnapshotIsDeletedLiveAndASwitchRestartsIt() throws Exception {
        String ctid = CtFixture.newCtid();
        cts.create(CreateRequest.of(ctid, "busybox"));
        cts.start(ctid);
        fx.sh(ctid, "echo one > /root/one; dd if=/dev/urandom of=/root/big bs=1M count=8 2>/dev/null; sync");
        String bigSum = fx.sh(ctid, "md5sum /root/big");
        String s1 = cts.snapshot(ctid, null);
        fx.sh(ctid, "echo two > /root/two; "
                + "dd if=/dev/urandom of=/root/big bs=1M count=2 seek=3 conv=notrunc 2>/dev/null; sync");
        String bigSum2 = fx.sh(ctid, "md5sum /root/big");
        assertThat(bigSum2).isNotEqualTo(bigSum);
        int pid = cts.status(ctid).pid();

        // Delete s1 (its child is the active top) while the container runs: the top is merged into it.
        cts.deleteSnapshot(ctid, s1);
        assertThat(cts.snapshots(ctid)).extracting(SnapshotInfo::uuid).doesNotContain(s1).hasSize(1);
        assertThat(cts.status(ctid).state()).isEqualTo(CtStatus.State.RUNNING);
        assertThat(cts.status(ctid).pid()).as("not restarted").isEqualTo(pid);
        assertThat(fx.sh(ctid, "cat /root/one /root/two")).isEqualTo("one\ntwo");
        assertThat(fx.sh(ctid, "md5sum /root/big")).isEqualTo(bigSum2);

        // Switch while running: stopped, switched, started again; the later state is gone.
        fx.sh(ctid, "echo three > /root/three; sync");
        String s2 = cts.snapshot(ctid, null);
        fx.sh(ctid, "echo four > /root/four; rm /root/one; sync");
        assertThatThrownBy(() -> cts.switchSnapshot(ctid, "{11111111-2222-3333-4444-555555555555}"))
                .isInstanceOf(CtException.class).hasMessageContaining("no snapshot");
        assertThat(cts.status(ctid).pid()).as("a wrong GUID stops nothing").isEqualTo(pid);
        assertThat(cts.switchSnapshot(ctid, s2)).as("restarted").isTrue();
        assertThat(cts.status(ctid).state()).isEqualTo(CtStatus.State.RUNNING);
        assertThat(cts.status(ctid).pid()).isNotEqualTo(pid);
        assertThat(fx.sh(ctid, "cat /root/one /root/two /root/three")).isEqualTo("one\ntwo\nthree");
        assertThat(fx.sh(ctid, "ls /root")).doesNotContain("four");
        assertThat(fx.sh(ctid, "md5sum /root/big")).isEqualTo(bigSum2);
        fx.killDestroyAndAssertClean(ctid);
    }

    @Test
    void aStoppedContainersDiskGrowsAndItsFileSystemFollowsAtStartButNeverShrinks() throws Exception {
        String ctid = CtFixture.newCtid();
        cts.create(CreateRequest.of(ctid, "busybox"));
        cts.start(ctid);
        long before = fx.dfKb(ctid);
        cts.stop(ctid, false);
        assertThat(cts.set(ctid, SetRequest.none().withDiskspace(512L << 20), false).warnings()).isEmpty();
        assertThat(cts.config(ctid).diskspace()).isEqualTo(512L << 20);
        assertThatThrownBy(() -> cts.set(ctid, SetRequest.none().withDiskspace(64L << 20), true))
                .isInstanceOf(ConfigException.class).hasMessageContaining("can grow a disk but not shrink it");
        cts.start(ctid);
        assertThat(fx.dfKb(ctid)).as("df before %d KiB", before).isGreaterThan(before + 200_000);
        fx.killDestroyAndAssertClean(ctid);
    }
}
