package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.copy.FaultRig.Protocol;
import dev.jvz.copy.FaultRig.Run;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The receiver's disk fills up mid-copy: a live copy ({@link FaultRig}: real image, tracker, sinks, TCP)
 * into a target on a 1 MiB tmpfs, so the receiver's write fails with a real ENOSPC during pass 1.
 * The sender must fail in pass 1 saying why (jvz carries the receiver's message; legacy only has
 * FAILURE), nothing frozen, tracker stopped, source untouched, and the receiver must remove its partial
 * file. Needs root (mount); skipped otherwise, but fails under CI=true.
 */
@Timeout(60)
class CopyFaultsDiskFullIT {
    @TempDir
    Path dir;
    private Path mnt;

    @BeforeEach
    void mountTinyTmpfs() throws Exception {
        TestEnv.requireTool("mount");
        TestEnv.requireTool("umount");
        TestEnv.requireRoot("this test mounts a tmpfs");
        mnt = Files.createDirectory(dir.resolve("mnt"));
        ReceiverDiskFullIT.run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        if (mnt != null) {
            ReceiverDiskFullIT.unmountQuietly(mnt);
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aFullReceiverDiskFailsTheCopyInPassOneAndTheReceiverRemovesItsFile(Protocol p) throws Exception {
        Path work = Files.createDirectory(dir.resolve("work"));
        FaultRig rig = new FaultRig(work, p, 42);
        rig.target = mnt.resolve("root.hdd");
        Run run = rig.run();
        try {
            CopyFaultsTest.assertCleanFailure(run, p + " disk full", false, false);
            assertThat(run.failure).hasMessageContaining("pass 1 could not send to the destination");
            if (p == Protocol.JVZ) {
                assertThat(run.failure).hasMessageContaining("the receiver failed: No space left on device");
            } else {
                // The legacy stream can only say FAILURE; the sink names disk full as the likely cause.
                assertThat(run.failure).hasMessageContaining("the receiver reported FAILURE");
            }
            assertThat(CopyFaultsTest.receiverFailure(run)).hasMessageContaining("No space left on device");
            try (var left = Files.list(mnt)) { // closed: an open directory keeps the tmpfs busy
                assertThat(left.count()).as("nothing left on the full disk").isZero();
            }
            System.out.println(p + " disk full -> " + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }
}
