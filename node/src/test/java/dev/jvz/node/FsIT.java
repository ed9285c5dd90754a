package dev.jvz.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Fs}'s in-process freeze, thaw, syncfs and journal checkpoint on a real ext4 (loop mount, root). */
class FsIT {
    private static final Duration T = Duration.ofSeconds(60);
    @TempDir
    Path dir;
    private Path mnt;

    @BeforeEach
    void mountExt4() throws IOException {
        NodeTools.require("mkfs.ext4", "mount", "umount", "losetup");
        Path img = dir.resolve("fs.img");
        try (var f = new java.io.RandomAccessFile(img.toFile(), "rw")) {
            f.setLength(64L << 20);
        }
        Fs.mkfsExt4(img.toString());
        mnt = Files.createDirectory(dir.resolve("mnt"));
        Exec.check(T, List.of("mount", "-o", "loop", img.toString(), mnt.toString()));
    }

    @AfterEach
    void unmount() throws IOException {
        if (mnt != null) {
            try {
                Fs.thaw(mnt); // a failed test may have left it frozen
            } catch (IOException ignored) {
                // not frozen: the normal case
            }
            Exec.run(T, List.of("umount", "-d", mnt.toString()));
        }
    }

    @Test
    void freezeBlocksASecondFreezeAndThawLetsWritesGoOn() throws IOException {
        Fs.freeze(mnt);
        assertThatThrownBy(() -> Fs.freeze(mnt)).isInstanceOf(ToolException.class)
                .hasMessageContaining("cannot freeze the file system at " + mnt + " (FIFREEZE)")
                .hasMessageContaining("busy");
        Fs.thaw(mnt);
        assertThatThrownBy(() -> Fs.thaw(mnt)).isInstanceOf(ToolException.class)
                .hasMessageContaining("cannot thaw the file system at " + mnt + " (FITHAW)");
        Files.writeString(mnt.resolve("after-thaw"), "x");
        Fs.syncfs(mnt);
        assertThat(Files.readString(mnt.resolve("after-thaw"))).isEqualTo("x");
    }

    /** The freeze expedites RCU grace periods only while FIFREEZE runs: the global knob is put back. */
    @Test
    void freezeLeavesTheRcuKnobAsItFoundIt() throws IOException {
        Path knob = Path.of("/sys/kernel/rcu_expedited"); // absent on some kernels: then nothing is set
        String before = Files.isRegularFile(knob) ? Files.readString(knob).strip() : null;
        Fs.freeze(mnt);
        assertThat(Fs.ExpeditedRcu.active()).isFalse();
        if (before != null) {
            assertThat(Files.readString(knob).strip()).isEqualTo(before);
        }
        Fs.thaw(mnt);
        if (before != null) {
            assertThat(Files.readString(knob).strip()).isEqualTo(before);
        }
    }

    /** A node killed while the knob was set left its marker: the next start puts the 0 back. */
    @Test
    void aKnobLeftSetByADeadNodeIsReset() throws Exception {
        Path knob = Path.of("/sys/kernel/rcu_expedited");
        NodeTools.requireHost(Files.isRegularFile(knob) && Files.isWritable(knob),
                knob + " is missing or not writable (a kernel without it, or not root)");
        String before = Files.readString(knob).strip();
        Process dead = new ProcessBuilder("true").start();
        dead.waitFor();
        try {
            Files.createDirectories(Fs.ExpeditedRcu.MARKER.getParent());
            Files.writeString(Fs.ExpeditedRcu.MARKER, dead.pid() + "\n");
            Files.writeString(knob, "1");
            assertThat(Fs.ExpeditedRcu.recover()).isTrue();
            assertThat(Files.readString(knob).strip()).isEqualTo("0");
            assertThat(Fs.ExpeditedRcu.MARKER).doesNotExist();
            // A marker of a live process (this one) is left alone: that node resets it itself.
            Files.writeString(Fs.ExpeditedRcu.MARKER, ProcessHandle.current().pid() + "\n");
            assertThat(Fs.ExpeditedRcu.recover()).isFalse();
        } finally {
            Files.deleteIfExists(Fs.ExpeditedRcu.MARKER);
            Files.writeString(knob, before);
        }
    }

    @Test
    void checkpointWorksOnExt4AndSaysNoWhereThereIsNone() throws IOException {
        Files.write(mnt.resolve("data"), new byte[1 << 20]);
        Fs.syncfs(mnt);
        assertThat(Fs.checkpointJournal(mnt)).as("ext4 on Linux >= 5.13").isTrue();
        Path shm = Path.of("/dev/shm");
        if (Files.isDirectory(shm)) {
            assertThat(Fs.checkpointJournal(shm)).as("tmpfs has no journal ioctl").isFalse();
        }
    }

    @Test
    void aMissingMountPointIsAClearError() {
        Path none = dir.resolve("no-such-dir");
        assertThatThrownBy(() -> Fs.syncfs(none)).isInstanceOf(ToolException.class)
                .hasMessageContaining("cannot open " + none).hasMessageContaining("No such file or directory");
        assertThatThrownBy(() -> Fs.freeze(none)).isInstanceOf(ToolException.class)
                .hasMessageContaining("cannot open " + none);
    }
}
