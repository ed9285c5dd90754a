package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jvz.node.Exec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The busybox template end to end with the real tools: created from /bin/busybox, listed, unpacked
 * with owners, modes and links, then booted by real runc as the core will: its init runs as PID 1
 * without a terminal, commands run in it, it reaps orphans, and 'runc kill ID TERM' ends it cleanly
 * (exit status 0, i.e. through its trap, not killed by the signal) within a few seconds.
 */
class BusyboxTemplateIT {
    /** The init's grace (1 s) plus process start-up on a loaded 2-core machine. */
    private static final long STOP_BOUND_MS = 8_000;
    private static final Duration RUNC_TIMEOUT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    private final List<String> started = new ArrayList<>();
    private Path runcRoot;

    @BeforeAll
    static void tools() {
        CtFixture.requireTool("runc");
        CtFixture.requireTool("tar");
        if (!Files.isExecutable(Templates.DEFAULT_BUSYBOX)) {
            CtFixture.requireTool("busybox-static (/bin/busybox)");
        }
    }

    @AfterEach
    void cleanUp() throws IOException {
        for (String id : started) {
            Exec.run(RUNC_TIMEOUT, List.of("runc", "--root", runcRoot.toString(), "delete", "--force", id));
        }
    }

    @Test
    void createListUnpackAndRemove() throws Exception {
        Templates t = new Templates(tmp.resolve("template"));
        TemplateInfo info = t.createBusybox("busybox");
        assertThat(BusyboxRoot.isDynamic(Templates.DEFAULT_BUSYBOX)).isFalse();
        assertThat(info.name()).isEqualTo("busybox");
        assertThat(info.cache()).isEqualTo(tmp.resolve("template/cache/busybox.tar.gz")).isRegularFile();
        assertThat(info.os()).matches("busybox \\d+\\.\\d+\\.\\d+");
        assertThat(info.init()).isEqualTo("/sbin/jvz-init");
        assertThat(info.stopSignal()).isEqualTo("TERM");
        assertThat(info.sizeBytes()).isEqualTo(Files.size(info.cache()));
        assertThat(t.list()).containsExactly(info);
        assertThat(t.get("busybox")).isEqualTo(info);
        try (var s = Files.list(tmp.resolve("template/cache"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("busybox.tar.gz", ".locks");
        }

        assertThatThrownBy(() -> t.createBusybox("busybox")).isInstanceOf(CtException.class)
                .hasMessageContaining("already exists").hasMessageContaining("--force");
        assertThat(t.createBusybox("busybox", true).name()).isEqualTo("busybox");

        Path root = Files.createDirectories(tmp.resolve("root"));
        Files.createDirectory(root.resolve("lost+found")); // what mkfs.ext4 leaves: still "empty"
        t.unpack("busybox", root);
        assertThat(mode(root.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(root.resolve("root"))).isEqualTo(0700);
        assertThat(mode(root.resolve("etc/shadow"))).isEqualTo(0600);
        assertThat(Files.readSymbolicLink(root.resolve("bin/sh"))).isEqualTo(Path.of("/bin/busybox"));
        assertThat(Files.readSymbolicLink(root.resolve("sbin/init"))).isEqualTo(Path.of("jvz-init"));
        for (String d : List.of("proc", "sys", "dev", "run", "var/log", "root")) {
            assertThat(root.resolve(d)).isDirectory();
        }
        for (String f : List.of("passwd", "group", "hostname", "hosts", "resolv.conf", "inittab", "jvz-template")) {
            assertThat(root.resolve("etc").resolve(f)).isRegularFile();
        }
        for (String tool : List.of("ip", "ping", "hostname", "sh", "df", "sleep", "cat")) {
            assertThat(List.of("bin/", "sbin/", "usr/bin/", "usr/sbin/").stream()
                    .anyMatch(d -> Files.isSymbolicLink(root.resolve(d + tool)))).as(tool).isTrue();
        }
        assertThat((int) Files.getAttribute(root.resolve("bin/busybox"), "unix:uid")).isZero();

        Files.writeString(root.resolve("extra"), "x");
        Path other = Files.createDirectories(tmp.resolve("other"));
        Files.writeString(other.resolve("file"), "x");
        assertThatThrownBy(() -> t.unpack("busybox", other)).hasMessageContaining("not empty");

        t.remove("busybox");
        assertThat(t.list()).isEmpty();
        assertThatThrownBy(() -> t.get("busybox")).isInstanceOf(TemplateNotFoundException.class);
    }

    @Test
    void aStagingDirectoryLeftByACrashIsReplacedByTheNextCreate() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("template/cache"));
        Files.createDirectories(cache.resolve(".bb.tmp/root/etc"));
        Files.writeString(cache.resolve(".bb.tmp/bb.tar.gz"), "half a tarball");
        Templates t = new Templates(tmp.resolve("template"));
        assertThat(t.list()).isEmpty();
        t.createBusybox("bb");
        assertThat(cache.resolve(".bb.tmp")).doesNotExist();
        assertThat(t.get("bb").os()).startsWith("busybox ");
    }

    @Test
    void runcBootsItRunsCommandsReapsOrphansAndStopsOnTerm() throws Exception {
        Booted ct = boot();
        try {
            assertThat(runc("exec", ct.id, "hostname").stdout().strip()).isEqualTo("ct-it");
            assertThat(runc("exec", ct.id, "cat", "/proc/1/cmdline").stdout()).contains("/sbin/jvz-init");
            assertThat(runc("exec", ct.id, "sh", "-c", "echo hi > /tmp/f && cat /tmp/f").stdout()).isEqualTo("hi\n");

            // Orphans: the detached shell exits at once, its two children are re-parented to PID 1;
            // when they end, only PID 1 can reap them.
            runcDetached("exec", "-d", ct.id, "sh", "-c", "sleep 0.3 & sleep 0.3 & exit 0");
            String ps = "";
            for (int i = 0; i < 100; i++) {
                ps = runc("exec", ct.id, "ps", "-o", "pid,ppid,stat,args").stdout();
                if (!ps.contains("sleep 0.3")) {
                    break;
                }
                Thread.sleep(100);
            }
            assertThat(ps).doesNotContain("sleep 0.3");
            assertThat(ps.lines().map(l -> l.trim().split("\\s+"))
                    .filter(f -> f.length > 2 && f[1].equals("1") && f[2].startsWith("Z"))).as(ps).isEmpty();

            stopAndExpectCleanExit(ct, "idle");
        } finally {
            ct.process.destroyForcibly();
        }
    }

    @Test
    void aProcessIgnoringTermIsKilledAfterTheGraceAndInitStillExitsCleanly() throws Exception {
        Booted ct = boot();
        try {
            runcDetached("exec", "-d", ct.id, "sh", "-c",
                    "exec >/dev/null 2>&1; trap '' TERM; while :; do sleep 1; done");
            stopAndExpectCleanExit(ct, "with a process ignoring SIGTERM");
        } finally {
            ct.process.destroyForcibly();
        }
    }

    /** A container running from the busybox template under a foreground 'runc run'. */
    private record Booted(String id, Process process, Path log, TemplateInfo info) {}

    private Booted boot() throws Exception {
        Templates t = new Templates(tmp.resolve("template"));
        TemplateInfo info = t.createBusybox("busybox");
        Path bundle = Files.createDirectories(tmp.resolve("bundle"));
        Path rootfs = Files.createDirectories(bundle.resolve("rootfs"));
        t.unpack("busybox", rootfs);
        runcRoot = Files.createDirectories(tmp.resolve("runc-state"));
        Files.writeString(bundle.resolve("config.json"), ociConfig(info.init(), "ct-it"));
        String id = "jvz-tmpl-it-" + ProcessHandle.current().pid() + "-" + System.nanoTime();
        // Foreground 'runc run': its exit status is the init's, so "0" proves the trap ran.
        Path log = bundle.resolve("console.log");
        Process run = new ProcessBuilder("runc", "--root", runcRoot.toString(), "run", "--bundle", bundle.toString(), id)
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        started.add(id);
        waitRunning(id);
        return new Booted(id, run, log, info);
    }

    private void stopAndExpectCleanExit(Booted ct, String what) throws Exception {
        long t0 = System.nanoTime();
        runc("kill", ct.id, ct.info.stopSignal());
        assertThat(ct.process.waitFor(STOP_BOUND_MS, TimeUnit.MILLISECONDS)).as("init exited after SIGTERM").isTrue();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ct.process.exitValue()).as("init exit status; log: " + Files.readString(ct.log)).isZero();
        System.out.println("busybox template: stop (" + what + ") took " + ms + " ms");
        // A foreground 'runc run' deletes its container when the init exits: nothing is left.
        assertThat(Exec.run(RUNC_TIMEOUT, List.of("runc", "--root", runcRoot.toString(), "state", ct.id)).exitCode())
                .isNotZero();
        started.remove(ct.id);
    }

    private Exec.Result runc(String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("runc", "--root", runcRoot.toString()));
        cmd.addAll(List.of(args));
        return Exec.check(RUNC_TIMEOUT, cmd);
    }

    /**
     * 'runc exec -d' hands its own stdout/stderr to the detached process, so a caller reading them
     * (Exec does) would wait as long as that process lives: discard them instead.
     */
    private void runcDetached(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("runc", "--root", runcRoot.toString()));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(RUNC_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not return");
        }
        assertThat(p.exitValue()).as(String.join(" ", cmd)).isZero();
    }

    private void waitRunning(String id) throws Exception {
        for (int i = 0; i < 300; i++) {
            Exec.Result r = Exec.run(RUNC_TIMEOUT, List.of("runc", "--root", runcRoot.toString(), "state", id));
            if (r.exitCode() == 0 && r.stdout().contains("\"running\"")) {
                return;
            }
            Thread.sleep(50);
        }
        fail("container " + id + " did not start");
    }

    private static int mode(Path p) throws IOException {
        return (int) Files.getAttribute(p, "unix:mode", java.nio.file.LinkOption.NOFOLLOW_LINKS) & 07777;
    }

    /** A minimal OCI config (what 'runc spec' writes, no terminal, writable root), for this test only. */
    static String ociConfig(String init, String hostname) {
        return """
            {
              "ociVersion": "1.0.2-dev",
              "process": {
                "terminal": false,
                "user": {"uid": 0, "gid": 0},
                "args": ["%s"],
                "env": ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"],
                "cwd": "/",
                "capabilities": {
                  "bounding": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "effective": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "permitted": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"],
                  "ambient": ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
                },
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}],
                "noNewPrivileges": true
              },
              "root": {"path": "rootfs", "readonly": false},
              "hostname": "%s",
              "mounts": [
                {"destination": "/proc", "type": "proc", "source": "proc"},
                {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
                 "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
                {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
                 "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
                {"destination": "/dev/shm", "type": "tmpfs", "source": "shm",
                 "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]},
                {"destination": "/sys", "type": "sysfs", "source": "sysfs",
                 "options": ["nosuid", "noexec", "nodev", "ro"]},
                {"destination": "/run", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "nodev", "mode=755"]}
              ],
              "linux": {
                "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
                               {"type": "mount"}],
                "maskedPaths": ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/sys/firmware"],
                "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
              }
            }
            """.formatted(init, hostname);
    }
}
