package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One container through its whole life with real runc and a real (in-process) node: create from the
 * busybox template, start, exec, persistence across stop/start, suspend/resume, live limits, online
 * disk growth, a live snapshot, and a destroy that leaves nothing on the host. One container serves
 * every step to keep the suite fast; each step asserts what it proves.
 */
class ContainerLifecycleIT extends ContainerTestBase {
    private static final Duration T = Duration.ofSeconds(20);

    @Test
    void aContainerLivesFromCreateToDestroyAndLeavesNothingBehind() throws Exception {
        String ctid = CtFixture.newCtid();
        CtConfig c = cts.create(CreateRequest.of(ctid, "busybox").withHostname("ct-" + ctid + ".test"));
        assertThat(Files.readString(fx.global.ctConf(ctid))).contains("HOSTNAME=\"ct-" + ctid + ".test\"")
                .contains("OSTEMPLATE=\"busybox\"").contains("DISKSPACE=\"256M\"");
        assertThat(cts.status(ctid).line()).isEqualTo("CTID " + ctid + " exist unmounted stopped");

        cts.start(ctid);
        assertThat(cts.status(ctid).line()).isEqualTo("CTID " + ctid + " exist mounted running");
        assertThat(fx.sh(ctid, "hostname")).isEqualTo("ct-" + ctid + ".test");
        // stdin is passed through and the exit code comes back
        Runc.ExecResult cat = cts.exec(ctid, List.of("/bin/sh", "-c", "cat; exit 3"),
                "through stdin".getBytes(StandardCharsets.UTF_8), T);
        assertThat(cat.stdout()).isEqualTo("through stdin");
        assertThat(cat.exitCode()).isEqualTo(3);
        fx.sh(ctid, "echo persisted > /root/file.txt");

        List<CtInfo> running = cts.list(false);
        assertThat(running).extracting(CtInfo::ctid).containsExactly(ctid);
        assertThat(running.getFirst().status()).isEqualTo("running");
        assertThat(running.getFirst().nproc()).isGreaterThanOrEqualTo(1);
        assertThat(running.getFirst().hostname()).isEqualTo("ct-" + ctid + ".test");

        // suspend freezes a counter loop; resume lets it go on
        fx.sh(ctid, "(i=0; while true; do i=$((i+1)); echo $i > /tmp/counter; sleep 0.05; done) "
                + "</dev/null >/dev/null 2>&1 &");
        Path counter = c.veRoot().resolve("tmp/counter");
        long before = awaitCounterAbove(counter, 2);
        cts.suspend(ctid);
        assertThat(cts.status(ctid).state()).isEqualTo(CtStatus.State.SUSPENDED);
        Path freezer = fx.cgroupDirs(ctid).stream().filter(p -> p.toString().contains("/freezer/")).findFirst()
                .orElseThrow();
        assertThat(Files.readString(freezer.resolve("freezer.state")).strip()).isEqualTo("FROZEN");
        long frozen = readCounter(counter);
        assertThat(frozen).isGreaterThanOrEqualTo(before);
        Thread.sleep(300);
        assertThat(readCounter(counter)).as("the counter moved while suspended").isEqualTo(frozen);
        cts.resume(ctid);
        assertThat(awaitCounterAbove(counter, frozen)).isGreaterThan(frozen);

        // set --ram reaches the container's memory cgroup at once
        cts.set(ctid, SetRequest.none().withRam(300L << 20).withCpulimit(50), true);
        Path memcg = fx.cgroupDirs(ctid).stream().filter(p -> p.toString().contains("/memory/")).findFirst()
                .orElseThrow();
        assertThat(Files.readString(memcg.resolve("memory.limit_in_bytes")).strip())
                .isEqualTo(Long.toString(300L << 20));
        Path cpucg = fx.cgroupDirs(ctid).stream().filter(p -> p.toString().contains("/cpu/")).findFirst()
                .orElseThrow();
        assertThat(Files.readString(cpucg.resolve("cpu.cfs_quota_us")).strip()).isEqualTo("50000");
        assertThat(Files.readString(fx.global.ctConf(ctid))).contains("RAM=\"300M\"").contains("CPULIMIT=\"50\"");

        // set --hostname and --nameserver reach the running container (UTS namespace, /etc files)
        cts.set(ctid, new SetRequest("renamed-" + ctid, null, null, false, List.of("10.0.0.53"), null, null, null, null,
                null, null), false);
        assertThat(fx.sh(ctid, "hostname")).isEqualTo("renamed-" + ctid);
        assertThat(fx.sh(ctid, "cat /etc/hostname")).isEqualTo("renamed-" + ctid);
        assertThat(fx.sh(ctid, "cat /etc/resolv.conf")).contains("nameserver 10.0.0.53");
        assertThat(cts.config(ctid).hostname()).as("not saved without --save").isEqualTo("ct-" + ctid + ".test");

        // set --diskspace grows the disk and the mounted file system online
        long dfBefore = fx.dfKb(ctid);
        Containers.SetResult grown = cts.set(ctid, SetRequest.none().withDiskspace(512L << 20), false);
        boolean online = grown.warnings().isEmpty();
        if (online) {
            assertThat(fx.dfKb(ctid)).as("df before %d KiB", dfBefore).isGreaterThan(dfBefore + 200_000);
        } else {
            // Hosts that deny CAP_SYS_RESOURCE refuse online resize2fs; the warning says so, and the
            // file system fills the disk at the next start (checked after the restart below).
            assertThat(grown.warnings().getFirst()).contains("grows at the next start");
        }
        assertThat(cts.config(ctid).diskspace()).isEqualTo(512L << 20);

        // a live snapshot (file system frozen around it) appears in the list
        String guid = cts.snapshot(ctid, null);
        assertThat(cts.snapshots(ctid)).extracting(s -> s.uuid()).contains(guid).hasSize(2);

        // what was written inside survives stop and start; the new limits apply from the saved config
        Containers.StopResult stop = cts.stop(ctid, false);
        assertThat(stop.killed()).isFalse();
        assertThat(cts.status(ctid).line()).isEqualTo("CTID " + ctid + " exist unmounted stopped");
        assertThat(cts.list(false)).isEmpty();
        assertThat(cts.list(true)).extracting(CtInfo::status).containsExactly("stopped");
        cts.start(ctid);
        assertThat(fx.sh(ctid, "cat /root/file.txt")).isEqualTo("persisted");
        assertThat(fx.dfKb(ctid)).as("df before the grow %d KiB", dfBefore).isGreaterThan(dfBefore + 200_000);
        assertThat(fx.sh(ctid, "hostname")).isEqualTo("ct-" + ctid + ".test");
        assertThat(Files.readString(fx.cgroupDirs(ctid).stream().filter(p -> p.toString().contains("/memory/"))
                .findFirst().orElseThrow().resolve("memory.limit_in_bytes")).strip()).isEqualTo(Long.toString(300L << 20));

        assertThat(cts.stop(ctid, true).killed()).isFalse();
        cts.destroy(ctid);
        assertThat(fx.leftovers(ctid)).isEmpty();
        assertThat(fx.global.ctConf(ctid)).doesNotExist();
        assertThat(c.vePrivate()).doesNotExist();
        assertThat(c.veRoot()).doesNotExist();
        assertThat(cts.status(ctid).exists()).isFalse();
    }

    private static long readCounter(Path f) throws Exception {
        for (int i = 0; i < 50; i++) {
            String s = Files.exists(f) ? Files.readString(f).strip() : "";
            if (!s.isEmpty()) {
                return Long.parseLong(s);
            }
            Thread.sleep(20); // the loop rewrites the file; catch it between truncate and write
        }
        throw new AssertionError(f + " stays empty");
    }

    private static long awaitCounterAbove(Path f, long floor) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(f)) {
                String s = Files.readString(f).strip();
                if (!s.isEmpty() && Long.parseLong(s) > floor) {
                    return Long.parseLong(s);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the counter in " + f + " did not pass " + floor);
    }
}
