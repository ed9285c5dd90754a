package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real ENOSPC: the receiver writes into a 1 MiB tmpfs (needs root and mount/umount). */
class ReceiverDiskFullIT {
    @TempDir
    Path dir;
    Path mnt;

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out);
        }
    }

    @BeforeEach
    void mountSmallTmpfs() throws Exception {
        TestEnv.requireTool("mount");
        TestEnv.requireTool("umount");
        TestEnv.requireRoot("this test mounts a tmpfs");
        mnt = Files.createDirectory(dir.resolve("mnt"));
        run("mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", mnt.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        if (mnt != null) {
            unmountQuietly(mnt);
        }
    }

    /** Unmounts, lazily if something still holds the file system: a failed test must not leave it behind. */
    static void unmountQuietly(Path dir) throws Exception {
        try {
            run("umount", dir.toString());
        } catch (IOException busy) {
            run("umount", "-l", dir.toString());
        }
    }

    @Test
    void legacyReceiverOnAFullDiskAnswersFailureAndRemovesItsFile() throws Exception {
        Path target = mnt.resolve("root.hdd");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        try (LegacyStreamSink sink = new LegacyStreamSink(link.senderOut, link.senderFeedback)) {
            assertThatThrownBy(() -> {
                sink.write(0, ByteBuffer.wrap(new byte[3 << 20]));
                sink.sync();
            }).isInstanceOf(RemoteFailureException.class);
        }
        assertThat(Link.failure(f)).hasMessageContaining("No space left on device");
        assertThat(target).doesNotExist();
    }

    @Test
    void jvzReceiverOnAFullDiskTellsTheSenderWhyAndKeepsTheFileWithKeep() throws Exception {
        Path target = mnt.resolve("root.hdd");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                Receiver.Options.defaults().withKeep(true));
        try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback, JvzOptions.defaults())) {
            assertThatThrownBy(() -> {
                sink.write(0, ByteBuffer.wrap(new byte[3 << 20]));
                sink.sync();
            }).isInstanceOf(RemoteFailureException.class).hasMessageContaining("No space left on device");
        }
        assertThat(Link.failure(f)).hasMessageContaining("No space left on device");
        assertThat(target).exists();
    }
}
