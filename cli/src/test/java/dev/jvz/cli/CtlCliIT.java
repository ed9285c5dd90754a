package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvz ctl} and {@code jvz list} through the real bin/jvz, against a temporary host ($JVZ_CONF
 * pointing every path into a temp dir, the busybox template made by 'jvz template create'): the life of one
 * container, and the vzctl exit codes of the refusals.
 */
class CtlCliIT {
    private static Path jvz;

    @TempDir
    Path work;
    Path conf;
    JvzProcess proc;
    final String ctid = "8" + ProcessHandle.current().pid() % 100_000;

    @BeforeAll
    static void findLauncher() {
        jvz = LauncherIT.launcherWith("runc", "nbdfuse", "losetup", "mkfs.ext4", "fusermount3", "script");
    }

    @BeforeEach
    void setUp() throws Exception {
        proc = new JvzProcess(jvz, work, work.resolve("node"));
        conf = work.resolve("jvz.conf");
        Files.writeString(conf, String.join("\n",
                "# a throw-away host for CtlCliIT",
                "VE_ROOT=\"" + work + "/root/$VEID\"",
                "VE_PRIVATE=\"" + work + "/private/$VEID\"",
                "TEMPLATE=\"" + work + "/template\"",
                "CONF_DIR=\"" + work + "/conf\"",
                "RUNC_ROOT=\"" + work + "/runc\"",
                "LOCK_DIR=\"" + work + "/lock\"",
                "NODE_DIR=\"" + work + "/node\"",
                "CGROUP_PARENT=\"jvzcli" + ctid + "\"",
                "DISKSPACE=\"128M\"", ""));
        ok("template", "create", "busybox"); // TEMPLATE from $JVZ_CONF, where 'ctl create' looks
    }

    @AfterEach
    void tearDown() throws Exception {
        if (Files.isDirectory(work.resolve("runc").resolve(ctid))) {
            new ProcessBuilder("runc", "--root", work.resolve("runc").toString(), "delete", "--force", ctid)
                    .start().waitFor(30, TimeUnit.SECONDS);
        }
        proc.run("node", "stop", "-q", "--force");
        for (Path p : List.of(Path.of("/sys/fs/cgroup"))) {
            try (var s = Files.list(p)) {
                for (Path h : s.toList()) {
                    Files.deleteIfExists(h.resolve("jvzcli" + ctid)); // runc leaves the empty parent
                }
            }
        }
    }

    private JvzProcess.Run jvz(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("env", "JVZ_CONF=" + conf, jvz.toString()));
        cmd.addAll(List.of(args));
        return proc.exec(cmd);
    }

    private JvzProcess.Run ok(String... args) throws Exception {
        JvzProcess.Run r = jvz(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + " -> " + r).isZero();
        return r;
    }

    @Test
    void aContainerLivesThroughTheCliAndRefusalsGetVzctlExitCodes() throws Exception {
        assertThat(jvz("ctl", "start", ctid).exitCode()).isEqualTo(ExitCodes.CT_NOT_FOUND);
        JvzProcess.Run missing = jvz("ctl", "create", ctid, "--ostemplate", "nope");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.CT_TEMPLATE);
        assertThat(missing.err()).contains("no template 'nope'");

        ok("ctl", "create", ctid, "--ostemplate", "busybox", "--hostname", "cli-" + ctid);
        assertThat(jvz("ctl", "create", ctid, "--ostemplate", "busybox").exitCode()).isEqualTo(ExitCodes.CT_EXISTS);
        assertThat(jvz("ctl", "stop", ctid).exitCode()).isEqualTo(ExitCodes.CT_NOT_RUNNING);
        assertThat(ok("ctl", "status", ctid).out().strip()).isEqualTo("CTID " + ctid + " exist unmounted stopped");

        ok("ctl", "start", ctid);
        assertThat(ok("ctl", "exec", ctid, "hostname").out().strip()).isEqualTo("cli-" + ctid);
        assertThat(jvz("ctl", "exec", ctid, "exit 7").exitCode()).isEqualTo(7);
        assertThat(ok("ctl", "exec", ctid, "ls", "-d", "/proc").out().strip()).isEqualTo("/proc");
        JvzProcess.Run piped = proc.exec(List.of("sh", "-c", "echo through | env JVZ_CONF=" + conf + " " + jvz
                + " ctl exec " + ctid + " cat"));
        assertThat(piped.out().strip()).isEqualTo("through");
        assertThat(jvz("ctl", "destroy", ctid).exitCode()).isEqualTo(ExitCodes.CT_RUNNING);
        // enter: a shell on a new terminal inside (script(1) gives this side a pty)
        JvzProcess.Run enter = proc.exec(List.of("sh", "-c", "printf 'tty; exit 3\\n' | script -qec \"env JVZ_CONF="
                + conf + " " + jvz + " ctl enter " + ctid + "\" /dev/null"));
        assertThat(enter.exitCode()).as(enter.toString()).isEqualTo(3);
        assertThat(enter.out()).contains("/dev/pts/");

        JsonNode list = Json.mapper().readTree(ok("list", "-j").out());
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("ctid").asText()).isEqualTo(ctid);
        assertThat(list.get(0).get("status").asText()).isEqualTo("running");
        assertThat(list.get(0).get("hostname").asText()).isEqualTo("cli-" + ctid);

        ok("ctl", "set", ctid, "--ram", "200M", "--save");
        assertThat(Files.readString(work.resolve("conf").resolve(ctid + ".conf"))).contains("RAM=\"200M\"");
        assertThat(ok("ctl", "suspend", ctid).out()).contains("suspended");
        assertThat(ok("ctl", "status", ctid, "--json").json().get("state").asText()).isEqualTo("suspended");
        ok("ctl", "resume", ctid);
        String guid = ok("ctl", "snapshot", ctid).out().strip();
        assertThat(ok("ctl", "snapshot-list", ctid, "-H").out()).contains(guid);
        assertThat(ok("ctl", "snapshot-delete", ctid, "--id", guid).out()).contains("deleted"); // live, still running
        assertThat(ok("ctl", "snapshot-list", ctid, "-H").out()).doesNotContain(guid);
        assertThat(ok("ctl", "status", ctid, "--json").json().get("state").asText()).isEqualTo("running");

        ok("ctl", "stop", ctid);
        assertThat(ok("list", "-a", "-o", "ctid,status", "-H").out().strip()).isEqualTo(ctid + " stopped");
        ok("ctl", "destroy", ctid);
        assertThat(ok("list", "-a", "-H").out()).isBlank();
        assertThat(work.resolve("private").resolve(ctid)).doesNotExist();
        assertThat(work.resolve("runc").resolve(ctid)).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(work.toString());
    }

    @Test
    void helpListsTheCommandsAndTheContainerExitCodes() throws Exception {
        String help = ok("ctl", "--help").out();
        assertThat(help).contains("create", "start", "stop", "exec", "enter", "suspend", "snapshot-switch");
        String start = ok("ctl", "start", "--help").out();
        assertThat(start).contains(" 31 ", "not running").contains(" 44 ");
    }
}
