package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Debian path's failure with the real debootstrap, kept fast: a mirror nobody listens on
 * (port 9, discard) fails in the first download. The error names the mirror and debootstrap's own
 * reason, and nothing is left: no cache, no staging directory, no mount. (A real bootstrap takes
 * about a minute with a fast mirror and is not part of the suite; see the lead's report.)
 */
class DebianTemplateIT {
    @TempDir
    Path tmp;

    @BeforeAll
    static void tools() {
        CtFixture.requireTool("debootstrap");
    }

    @Test
    void anUnreachableMirrorFailsClearlyAndLeavesNothingBehind() throws Exception {
        Templates t = new Templates(tmp.resolve("template"));
        String mirror = "http://127.0.0.1:9/debian";
        assertThatThrownBy(() -> t.createDebian("deb", "bookworm", mirror, "minbase"))
                .isInstanceOf(CtException.class)
                .hasMessageContaining("debootstrap of Debian bookworm from " + mirror + " failed")
                .hasMessageContaining("E: ")
                .hasMessageContaining("mirror is reachable");
        Path cache = tmp.resolve("template/cache");
        try (var s = Files.list(cache)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(".locks");
        }
        assertThat(RootFs.mountsBelow(tmp.toAbsolutePath())).isEmpty();
        assertThat(t.list()).isEmpty();
    }

    @Test
    void anExistingTemplateIsRefusedBeforeDebootstrapRuns() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("template/cache"));
        Files.writeString(cache.resolve("deb.tar.gz"), "not even a tarball");
        Templates t = new Templates(tmp.resolve("template"));
        assertThatThrownBy(() -> t.createDebian("deb", null, "http://127.0.0.1:9/debian", null))
                .isInstanceOf(CtException.class).hasMessageContaining("already exists");
        assertThat(cache.resolve("deb.tar.gz")).hasContent("not even a tarball");
        try (var s = Files.list(cache)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(".locks", "deb.tar.gz");
        }
    }
}
