package dev.jvz.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The node daemon over its control socket, in-process, with the real kernel path underneath. */
class NodeDaemonIT {
    @TempDir
    Path tmp;
    Path desc;
    Path mnt;
    NodePaths paths;
    NodeDaemon daemon;

    @BeforeEach
    void setUp() throws Exception {
        NodeTools.require("nbdfuse", "losetup", "mkfs.ext4", "fusermount3");
        Path hdd = Files.createDirectories(tmp.resolve("root.hdd"));
        try (Disk d = Disk.init(hdd.resolve("root.hdd"), CreateOptions.of(128L << 20))) {
            desc = d.descriptorPath();
        }
        MountService.withDevice(desc, Fs::mkfsExt4);
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        paths = new NodePaths(tmp.resolve("node"));
        daemon = new NodeDaemon(paths);
        daemon.start();
    }

    @AfterEach
    void tearDown() throws Exception {
        if (daemon != null) {
            // A stop after a shutdown request unmounts; make sure a failing test leaves nothing mounted.
            try {
                new NodeClient(paths).shutdown(true);
            } catch (NodeException ignored) {
                // already stopped by the test
            }
            daemon.awaitStop();
        }
        assertThat(Mounts.isMountPoint(mnt)).isFalse();
    }

    @Test
    void mountListUmountThroughTheControlSocket() throws Exception {
        NodeClient c = new NodeClient(paths);
        assertThat(NodeClient.answers(paths)).isTrue();
        MountRecord r = c.mount(desc, mnt, false);
        assertThat(r.mountPoint()).isEqualTo(mnt);
        Files.writeString(mnt.resolve("f"), "data");
        assertThat(c.list()).extracting(MountRecord::descriptor).containsExactly(desc);
        JsonNode st = c.status();
        assertThat(st.get("mounts")).hasSize(1);
        assertThat(st.get("pid").asLong()).isEqualTo(ProcessHandle.current().pid());

        assertThatThrownBy(() -> c.shutdown(false)).isInstanceOf(NodeException.class)
                .hasMessageContaining("mounted");
        c.umount(mnt);
        assertThat(c.list()).isEmpty();
        assertThatThrownBy(() -> c.umount(mnt)).isInstanceOf(NodeException.class)
                .extracting(e -> ((NodeException) e).kind()).isEqualTo(NodeException.Kind.NOT_FOUND);
    }

    @Test
    void aRestartedNodeReopensWhatWasMounted() throws Exception {
        NodeClient c = new NodeClient(paths);
        String staleDevice = c.mount(desc, mnt, false).device();
        Files.writeString(mnt.resolve("before"), "kept");
        Exec.check(java.time.Duration.ofSeconds(30), java.util.List.of("sync", "-f", mnt.toString()));
        // Stop without a shutdown request (as on SIGTERM): the registry stays, the mount goes stale.
        daemon.close();
        daemon.awaitStop();
        daemon = new NodeDaemon(paths);
        java.util.List<String> restored = daemon.start();
        assertThat(restored).singleElement().asString().startsWith("re-mounted");
        assertThat(Files.readString(mnt.resolve("before"))).isEqualTo("kept");
        assertThat(c.list()).hasSize(1);
        // The dead mount's loop device was detached, not left bound to a deleted FUSE file.
        String newDevice = c.list().getFirst().device();
        if (!newDevice.equals(staleDevice) && staleDevice.startsWith("/dev/loop")) {
            Path backing = Path.of("/sys/block", staleDevice.substring(5), "loop", "backing_file");
            assertThat(Files.exists(backing) ? Files.readString(backing) : "").doesNotContain("(deleted)");
        }
    }

    @Test
    void malformedRequestsGetAnErrorAndTheNodeKeepsServing() throws Exception {
        try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(paths.controlSocket()))) {
            ch.write(java.nio.ByteBuffer.wrap("{not json\n".getBytes()));
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4096);
            ch.read(b);
            assertThat(new String(b.array(), 0, b.position())).contains("\"ok\":false").contains("malformed");
        }
        assertThat(new NodeClient(paths).list()).isEmpty();
    }
}
