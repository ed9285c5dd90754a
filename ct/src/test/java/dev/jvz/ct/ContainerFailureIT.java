package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.PloopFormat;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The failure paths of the proof: each gives a message that says what happened and what to do, and
 * leaves the host clean (no mount, loop device, FUSE mount, export, runc state, cgroup or namespace).
 */
class ContainerFailureIT extends ContainerTestBase {
    @Override
    CtFixture newFixture(Path root) throws Exception {
        return new CtFixture(root, false, Map.of("STOP_TIMEOUT", "1"));
    }

    @Test
    void aMissingTemplateIsNamedAndNothingIsCreated() throws Exception {
        String ctid = CtFixture.newCtid();
        assertThatThrownBy(() -> cts.create(CreateRequest.of(ctid, "no-such-os")))
                .isInstanceOf(TemplateNotFoundException.class).hasMessageContaining("no-such-os");
        assertThat(fx.global.ctConf(ctid)).doesNotExist();
        assertThat(fx.global.vePrivate(ctid)).doesNotExist();
        assertThat(fx.leftovers(ctid)).isEmpty();
    }

    @Test
    void aDuplicateCtidIsRefusedAndTheFirstContainerStaysIntact() throws Exception {
        String ctid = CtFixture.newCtid();
        cts.create(CreateRequest.of(ctid, "busybox").withHostname("first"));
        assertThatThrownBy(() -> cts.create(CreateRequest.of(ctid, "busybox").withHostname("second")))
                .isInstanceOf(CtStateException.class).hasMessageContaining("already exists")
                .extracting(e -> ((CtStateException) e).state()).isEqualTo(CtStateException.State.EXISTS);
        assertThat(cts.config(ctid).hostname()).isEqualTo("first");
        assertThat(Files.exists(Containers.descriptor(cts.config(ctid)))).isTrue();
        cts.destroy(ctid);
        assertThat(fx.leftovers(ctid)).isEmpty();
    }

    @Test
    void aStartWhoseRuncFailsSaysWhyAndUndoesTheMountAndState() throws Exception {
        String ctid = CtFixture.newCtid();
        CtConfig c = cts.create(CreateRequest.of(ctid, "busybox"));
        cts.mount(ctid);
        // init that cannot be executed: runc itself fails to start the container
        Path init = c.veRoot().resolve(BootContract.of(c.veRoot()).init().substring(1));
        Files.delete(init); // the template's init may be a link: replace it by a file runc cannot execute
        Files.writeString(init, "not a program");
        Files.setPosixFilePermissions(init, PosixFilePermissions.fromString("rw-r--r--"));
        cts.umount(ctid);
        assertThatThrownBy(() -> cts.start(ctid)).isInstanceOf(RuncException.class)
                .hasMessageContaining("runc run " + ctid + " failed").hasMessageContaining("permission denied");
        assertThat(cts.status(ctid).line()).isEqualTo("CTID " + ctid + " exist unmounted stopped");
        assertThat(fx.leftovers(ctid)).isEmpty();
        cts.destroy(ctid);
    }

    @Test
    void aStopThatTimesOutKillsTheContainerSaysSoAndCleansUp() throws Exception {
        String ctid = CtFixture.newCtid();
        cts.create(CreateRequest.of(ctid, "busybox-stubborn"));
        cts.start(ctid);
        Containers.StopResult r = cts.stop(ctid, false);
        assertThat(r.killed()).isTrue();
        assertThat(r.message()).contains("did not exit within 1 s of SIGTERM").contains("STOP_TIMEOUT");
        assertThat(cts.status(ctid).line()).isEqualTo("CTID " + ctid + " exist unmounted stopped");
        assertThat(fx.leftovers(ctid)).isEmpty();
        cts.destroy(ctid);
        assertThat(fx.leftovers(ctid)).isEmpty();
    }

    @Test
    void anImageLeftInUseByACrashIsRepairedOnStart() throws Exception {
        String ctid = CtFixture.newCtid();
        CtConfig c = cts.create(CreateRequest.of(ctid, "busybox"));
        Path delta = c.vePrivate().resolve("root.hdd/root.hdd");
        try (FileChannel ch = FileChannel.open(delta, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(PloopFormat.INUSE_OPEN).flip();
            ch.write(b, 44); // the header's inUse field (PLOOP-FORMAT.md): as a crashed writer leaves it
        }
        cts.start(ctid);
        assertThat(cts.exec(ctid, List.of("/bin/true"), null, Duration.ofSeconds(20)).exitCode()).isZero();
        fx.killDestroyAndAssertClean(ctid);
    }

    @Test
    void commandsOnStoppedOrMissingContainersSayWhatToDo() throws Exception {
        String ctid = CtFixture.newCtid();
        assertThatThrownBy(() -> cts.start(ctid)).isInstanceOf(CtNotFoundException.class)
                .hasMessageContaining("does not exist").hasMessageContaining("jvz ctl create " + ctid);
        cts.create(CreateRequest.of(ctid, "busybox"));
        assertThatThrownBy(() -> cts.stop(ctid, false)).isInstanceOf(CtStateException.class)
                .hasMessageContaining("is not running");
        assertThatThrownBy(() -> cts.exec(ctid, List.of("/bin/true"), null, null))
                .isInstanceOf(CtStateException.class).hasMessageContaining("jvz ctl start " + ctid);
        cts.start(ctid);
        assertThatThrownBy(() -> cts.destroy(ctid)).isInstanceOf(CtStateException.class)
                .hasMessageContaining("stop it first");
        assertThatThrownBy(() -> cts.start(ctid)).isInstanceOf(CtStateException.class)
                .hasMessageContaining("already running");
        cts.suspend(ctid);
        assertThatThrownBy(() -> cts.exec(ctid, List.of("/bin/true"), null, null))
                .isInstanceOf(CtStateException.class).hasMessageContaining("resume");
        // stop resumes a suspended container first (frozen processes cannot take SIGTERM)
        assertThat(cts.stop(ctid, false).killed()).isFalse();
        cts.destroy(ctid);
        assertThat(fx.leftovers(ctid)).isEmpty();
    }

    @Test
    void aLockHeldByAnotherProcessNamesItsPidAndCommandAndDiesWithIt() throws Exception {
        String ctid = CtFixture.newCtid();
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                LockHolderMain.class.getName(), fx.global.lockDir().toString(), ctid)
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            var out = new java.io.BufferedReader(new java.io.InputStreamReader(holder.getInputStream()));
            assertThat(out.readLine()).isEqualTo("locked");
            assertThatThrownBy(() -> CtLock.acquire(fx.global.lockDir(), ctid, "jvz ctl stop", Duration.ofMillis(200)))
                    .isInstanceOf(CtLockedException.class)
                    .hasMessageContaining("container " + ctid + " is locked by pid " + holder.pid() + " (jvz ctl start)")
                    .hasMessageContaining("try again when it finishes");
        } finally {
            holder.destroyForcibly(); // SIGKILL: the kernel drops its lock, as after a crash
            holder.waitFor();
        }
        try (CtLock l = CtLock.acquire(fx.global.lockDir(), ctid, "jvz ctl stop", Duration.ofSeconds(5))) {
            assertThat(CtLock.holder(fx.global.lockDir().resolve(ctid + ".lck"))).contains("(jvz ctl stop)");
        }
    }

    @Test
    void twoThreadsOfOneProcessAreSerialisedToo() throws Exception {
        String ctid = CtFixture.newCtid();
        CountDownLatch held = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try (CtLock l = CtLock.acquire(fx.global.lockDir(), ctid, "jvz ctl start", Duration.ofSeconds(1))) {
                held.countDown();
                release.await();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        held.await();
        try {
            assertThatThrownBy(() -> CtLock.acquire(fx.global.lockDir(), ctid, "jvz ctl stop", Duration.ofMillis(100)))
                    .isInstanceOf(CtLockedException.class).hasMessageContaining("container " + ctid + " is locked by");
        } finally {
            release.countDown();
            t.join();
        }
        assertThat(failure.get()).isNull();
        try (CtLock l = CtLock.acquire(fx.global.lockDir(), ctid, "jvz ctl stop", Duration.ofMillis(100))) {
            assertThat(l).isNotNull();
        }
    }
}
