package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Symlinks in a container root mean what they mean inside the container, never on the host. */
class RootFsTest {
    @TempDir
    Path tmp;

    @Test
    void anAbsoluteSymlinkIsResolvedInsideTheRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Path host = Files.createDirectories(tmp.resolve("host/usr/sbin"));
        Files.createDirectories(root.resolve("usr/sbin"));
        // /sbin -> /usr/sbin: on the host that would be the host's directory (here: tmp/host stands in).
        Files.createSymbolicLink(root.resolve("sbin"), Path.of("/usr/sbin"));
        RootFs.write(root, "sbin/jvz-init", "x", 0755);
        assertThat(root.resolve("usr/sbin/jvz-init")).hasContent("x");
        assertThat(host.resolve("jvz-init")).doesNotExist();
        assertThat(RootFs.resolve(root, "sbin/jvz-init")).isEqualTo(root.resolve("usr/sbin/jvz-init"));
    }

    @Test
    void relativeSymlinksAndDotDotStayInsideTheRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("usr/lib"));
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        Files.createSymbolicLink(root.resolve("up"), Path.of("../../../.."));
        assertThat(RootFs.resolve(root, "lib/x")).isEqualTo(root.resolve("usr/lib/x"));
        assertThat(RootFs.resolve(root, "up/etc/passwd")).isEqualTo(root.resolve("etc/passwd"));
        assertThat(RootFs.resolve(root, "../../etc/passwd")).isEqualTo(root.resolve("etc/passwd"));
    }

    @Test
    void aSymlinkLoopIsAnError() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createSymbolicLink(root.resolve("a"), Path.of("b"));
        Files.createSymbolicLink(root.resolve("b"), Path.of("/a"));
        assertThatThrownBy(() -> RootFs.resolve(root, "a/x")).hasMessageContaining("too many symbolic links");
    }

    @Test
    void readFollowsTheLastSymlinkInsideTheRoot() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/real"), "12.8\n");
        Files.createSymbolicLink(root.resolve("etc/version"), Path.of("/etc/real"));
        assertThat(RootFs.read(root, "etc/version")).isEqualTo("12.8\n");
    }

    @Test
    void modesIncludeTheStickyBit() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("root"));
        RootFs.mkdir(root, "tmp", 01777);
        assertThat((int) Files.getAttribute(root.resolve("tmp"), "unix:mode") & 07777).isEqualTo(01777);
    }

    @Test
    void deleteTreeDoesNotFollowSymlinksOut() throws IOException {
        Path outside = Files.createDirectories(tmp.resolve("outside"));
        Files.writeString(outside.resolve("keep"), "k");
        Path staging = Files.createDirectories(tmp.resolve("staging/root/etc"));
        Files.createSymbolicLink(staging.resolve("link"), outside);
        RootFs.deleteTree(tmp.resolve("staging"));
        assertThat(tmp.resolve("staging")).doesNotExist();
        assertThat(outside.resolve("keep")).hasContent("k");
    }
}
