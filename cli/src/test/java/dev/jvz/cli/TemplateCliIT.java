package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvz template} through the real bin/jvz: create (busybox), list in both formats, the
 * refusal to overwrite and --force, remove, and the exit codes and one-line messages of the
 * failures (unknown template 4, bad name 38, unreachable Debian mirror 1 with nothing left).
 */
class TemplateCliIT {
    private static Path jvz;

    @TempDir
    Path work;
    JvzProcess proc;
    String dir;

    @BeforeAll
    static void findLauncher() {
        jvz = LauncherIT.launcherWith("tar", "busybox");
    }

    @BeforeEach
    void setUp() {
        proc = new JvzProcess(jvz, work, work.resolve("node"));
        dir = work.resolve("template").toString();
    }

    @Test
    void createListRemoveBusybox() throws Exception {
        JvzProcess.Run none = proc.ok("template", "list", "--template-dir", dir);
        assertThat(none.out()).contains("no templates in " + dir);

        JsonNode created = proc.ok("template", "create", "busybox", "--json", "--template-dir", dir).json();
        assertThat(created.get("name").asText()).isEqualTo("busybox");
        assertThat(created.get("cache").asText()).isEqualTo(dir + "/cache/busybox.tar.gz");
        assertThat(created.get("os").asText()).startsWith("busybox ");
        assertThat(created.get("init").asText()).isEqualTo("/sbin/jvz-init");
        assertThat(created.get("stop_signal").asText()).isEqualTo("TERM");
        assertThat(created.get("size_bytes").asLong()).isEqualTo(Files.size(Path.of(dir, "cache/busybox.tar.gz")));

        JsonNode list = proc.ok("template", "list", "-j", "--template-dir", dir).json();
        assertThat(list).hasSize(1);
        assertThat(list.get(0)).isEqualTo(created);
        assertThat(proc.ok("template", "list", "--template-dir", dir).out())
                .contains("NAME").contains("busybox").contains(created.get("os").asText());

        JvzProcess.Run again = proc.run("template", "create", "busybox", "--template-dir", dir);
        assertThat(again.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(again.err()).startsWith("jvz template create busybox: template 'busybox' already exists")
                .contains("--force").hasLineCount(1);
        proc.ok("template", "create", "busybox", "--force", "-q", "--template-dir", dir);
        proc.ok("template", "create", "busybox", "bb", "-q", "--template-dir", dir);
        assertThat(proc.ok("template", "list", "--json", "--template-dir", dir).json()).hasSize(2);

        assertThat(proc.ok("template", "remove", "busybox", "--template-dir", dir).out())
                .isEqualTo("removed template busybox\n");
        JvzProcess.Run gone = proc.run("template", "remove", "busybox", "--template-dir", dir);
        assertThat(gone.exitCode()).isEqualTo(ExitCodes.OPEN);
        assertThat(gone.err()).contains("no template 'busybox'").contains("templates there: bb");
    }

    @Test
    void theTemplateDirectoryComesFromTheEnvironmentToo() throws Exception {
        JvzProcess.Run r = proc.exec(java.util.List.of("sh", "-c",
                "JVZ_TEMPLATE_DIR=" + dir + " \"$JVZ\" template create busybox -q && ls " + dir + "/cache"));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("busybox.tar.gz\n");
    }

    @Test
    void badArgumentsAreRefusedBeforeAnythingRuns() throws Exception {
        JvzProcess.Run name = proc.run("template", "create", "busybox", "Bad/Name", "--template-dir", dir);
        assertThat(name.exitCode()).isEqualTo(ExitCodes.PARAM);
        assertThat(name.err()).contains("template name: Bad/Name").hasLineCount(1);
        JvzProcess.Run variant = proc.run("template", "create", "debian", "--variant", "fakechroot",
                "--template-dir", dir);
        assertThat(variant.exitCode()).isEqualTo(ExitCodes.PARAM);
        assertThat(variant.err()).isEqualTo("jvz template create debian: variant: fakechroot "
                + "(expected one of minbase, buildd, default)\n");
        assertThat(Path.of(dir)).doesNotExist();
        assertThat(proc.run("template").exitCode()).isEqualTo(ExitCodes.USAGE);
    }

    @Test
    void anUnreachableDebianMirrorFailsWithDebootstrapsReason() throws Exception {
        LauncherIT.requireTool("debootstrap");
        JvzProcess.Run r = proc.run("template", "create", "debian", "deb", "--mirror", "http://127.0.0.1:9/debian",
                "--template-dir", dir);
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.err()).contains("jvz template create debian: debootstrap of Debian bookworm from "
                + "http://127.0.0.1:9/debian failed: E: Failed getting release file");
        try (var s = Files.list(Path.of(dir, "cache"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(".locks");
        }
    }
}
