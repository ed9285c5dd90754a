package dev.jvz.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jvz.image.Convert;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server against real NBD clients: nbdinfo, nbdcopy (libnbd), qemu-img (QEMU's NBD client), fio's
 * nbd engine; and misbehaving raw-socket clients interleaved with a well-behaved one.
 */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NbdToolsIT {
    static final long SIZE = 256L << 20;

    @TempDir
    Path dir;
    Path delta;
    Image image;
    NbdServer server;
    Path socket;

    static void requireTool(String tool) {
        boolean found = false;
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (Files.isExecutable(Path.of(d, tool))) {
                found = true;
                break;
            }
        }
        requireHost(found, tool + " is not installed; CI must have it (scripts/install-deps.sh)");
    }

    /** Skips the test with {@code why} unless {@code ok}; in CI (CI=true) fails instead. */
    static void requireHost(boolean ok, String why) {
        if (!ok) {
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.assumeTrue(false, why);
        }
    }

    @BeforeEach
    void start() throws Exception {
        delta = dir.resolve("root.hdd");
        Image.create(delta, CreateOptions.of(SIZE)); // 1 MiB clusters, v2
        image = Image.open(delta, true);
        server = NbdServer.builder(image).exportName("root").description("jvz test disk").build();
        socket = server.listenUnix(dir.resolve("nbd.sock"));
    }

    @AfterEach
    void stop() throws IOException {
        if (server != null) {
            server.close();
        }
        if (image != null) {
            image.close();
        }
    }

    String uri() {
        return "nbd+unix:///root?socket=" + socket;
    }

    record Result(int exit, String output) {}

    static Result run(String... cmd) throws Exception {
        return run(120, cmd);
    }

    static Result run(int timeoutSeconds, String... cmd) throws Exception {
        Path out = Files.createTempFile("nbd-it", ".out");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", cmd) + " timed out after " + timeoutSeconds + " s:\n" + Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }

    static Result ok(String... cmd) throws Exception {
        Result r = run(cmd);
        assertThat(r.exit()).as("%s failed:\n%s", String.join(" ", cmd), r.output()).isZero();
        return r;
    }

    private void writeRandom(long offset, int length, long seed) throws IOException {
        byte[] d = new byte[length];
        new Random(seed).nextBytes(d);
        image.write(offset, ByteBuffer.wrap(d));
    }

    @Test
    void nbdinfoReportsTheExportAndItsAllocationMap() throws Exception {
        requireTool("nbdinfo");
        String info = ok("nbdinfo", uri()).output();
        assertThat(info).contains("export=\"root\"", "export-size: " + SIZE, "description: jvz test disk",
                "base:allocation", "block_size_minimum: 1", "block_size_preferred: 4096",
                "block_size_maximum: 33554432", "can_multi_conn: true", "can_fua: true", "is_read_only: false");
        assertThat(ok("nbdinfo", "--map", uri()).output().strip()).matches("0\\s+" + SIZE + "\\s+3\\s+hole,zero");
        writeRandom(3L << 20, 100, 1); // cluster 3
        writeRandom(10L << 20, 2 << 20, 2); // clusters 10, 11
        List<String> map = ok("nbdinfo", "--map", uri()).output().strip().lines().map(String::strip).toList();
        assertThat(map).hasSize(5);
        assertThat(map.get(0)).matches("0\\s+" + (3 << 20) + "\\s+3\\s+hole,zero");
        assertThat(map.get(1)).matches((3 << 20) + "\\s+" + (1 << 20) + "\\s+0\\s+data");
        assertThat(map.get(2)).matches((4 << 20) + "\\s+" + (6 << 20) + "\\s+3\\s+hole,zero");
        assertThat(map.get(3)).matches((10 << 20) + "\\s+" + (2 << 20) + "\\s+0\\s+data");
        assertThat(map.get(4)).matches((12 << 20) + "\\s+" + (SIZE - (12 << 20)) + "\\s+3\\s+hole,zero");
        assertThat(ok("nbdinfo", "--list", "nbd+unix:///?socket=" + socket).output()).contains("export=\"root\"");
    }

    @Test
    void nbdinfoOverTcp() throws Exception {
        requireTool("nbdinfo");
        InetSocketAddress a = server.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        String info = ok("nbdinfo", "nbd://127.0.0.1:" + a.getPort() + "/root").output();
        assertThat(info).contains("export-size: " + SIZE);
    }

    @Test
    void nbdcopyWritesAndReadsBack64MiBIdentically() throws Exception {
        requireTool("nbdcopy");
        Path src = dir.resolve("random.bin");
        byte[] data = new byte[64 << 20];
        new Random(64).nextBytes(data);
        Files.write(src, data);
        ok("nbdcopy", src.toString(), uri());
        Path back = dir.resolve("back.bin");
        ok("nbdcopy", uri(), back.toString());
        assertThat(Files.size(back)).isEqualTo(SIZE);
        try (var ch = java.nio.channels.FileChannel.open(back)) {
            ByteBuffer b = ByteBuffer.allocate(data.length);
            while (b.hasRemaining() && ch.read(b) >= 0) {
                // read it all
            }
            assertThat(b.array()).isEqualTo(data);
        }
        assertThat(ok("nbdinfo", "--map", uri()).output().strip().lines().findFirst().orElseThrow().strip())
                .matches("0\\s+" + (64 << 20) + "\\s+0\\s+data");
    }

    @Test
    void qemuImgConvertEqualsConvertExport() throws Exception {
        requireTool("qemu-img");
        writeRandom(0, 5 << 20, 3);
        writeRandom(100L << 20, 123_457, 4);
        writeRandom(SIZE - 4096, 4096, 5);
        Path viaQemu = dir.resolve("qemu.raw");
        // QEMU 7.2 syntax: the legacy "nbd:unix:PATH:exportname=NAME" form; the URI form works too.
        ok("qemu-img", "convert", "-f", "raw", "-O", "raw", "nbd:unix:" + socket + ":exportname=root",
                viaQemu.toString());
        Path viaUri = dir.resolve("uri.raw");
        ok("qemu-img", "convert", "-f", "raw", "-O", "raw", uri(), viaUri.toString());
        Path viaExport = dir.resolve("export.raw");
        Convert.export(image, image.clusterBytes(), viaExport, false, (done, total) -> {});
        assertThat(Files.mismatch(viaQemu, viaExport)).isEqualTo(-1);
        assertThat(Files.mismatch(viaUri, viaExport)).isEqualTo(-1);
    }

    @Test
    void fioRandomWritesVerifyWithCrc32c() throws Exception {
        requireTool("fio");
        Result help = run("fio", "--enghelp=nbd");
        requireHost(help.output().contains("uri"), "fio lacks the nbd engine:\n" + help.output());
        Result r = ok("fio", "--name=verify", "--ioengine=nbd", "--uri=" + uri(), "--rw=randwrite", "--bs=4k",
                "--size=32m", "--iodepth=16", "--verify=crc32c", "--do_verify=1", "--verify_fatal=1",
                "--randrepeat=1", "--verify_state_save=0");
        assertThat(r.output()).contains("err= 0").doesNotContain("verify: bad");
    }

    @Test
    void fioMultiConnectionRandomWritesVerify() throws Exception {
        requireTool("fio");
        // Four connections (CAN_MULTI_CONN), each verifying its own 8 MiB region, with periodic flushes.
        Result r = ok("fio", "--name=multi", "--ioengine=nbd", "--uri=" + uri(), "--rw=randwrite", "--bs=4k",
                "--size=8m", "--offset_increment=8m", "--numjobs=4", "--iodepth=8", "--fsync=64",
                "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--verify_state_save=0", "--group_reporting");
        assertThat(r.output()).contains("err= 0").doesNotContain("verify: bad");
    }

    @Test
    void qemuIoZeroesDiscardsAndMapsThroughTheServer() throws Exception {
        requireTool("qemu-io");
        requireTool("qemu-img");
        Result io = ok("qemu-io", "-f", "raw", "-c", "write -P 0xab 0 3M", "-c", "write -P 0xcd 5M 100k",
                "-c", "discard 1M 1M", "-c", "write -z -u 2M 1M", "-c", "write -z 5M 4k",
                "-c", "read -P 0 1M 2M", "-c", "read -P 0xab 0 1M", "-c", "read -P 0 5M 4k",
                "-c", "read -P 0xcd 5246976 98304", uri());
        assertThat(io.output()).doesNotContain("Pattern verification failed", "error", "failed");
        // Discarded and zero-unmapped clusters 1-4 are holes again; cluster 5 keeps its data.
        String map = ok("qemu-img", "map", "--output=json", "-f", "raw", uri()).output();
        assertThat(map).contains("\"start\": 0, \"length\": 1048576, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true")
                .contains("\"start\": 1048576, \"length\": 4194304, \"depth\": 0, \"present\": true, \"zero\": true, \"data\": false")
                .contains("\"start\": 5242880, \"length\": 1048576, \"depth\": 0, \"present\": true, \"zero\": false, \"data\": true");
    }

    @Test
    void deltaIsCleanForQemuImgCheckAfterServing() throws Exception {
        requireTool("qemu-img");
        requireTool("nbdcopy");
        Path src = dir.resolve("r.bin");
        byte[] data = new byte[16 << 20];
        new Random(9).nextBytes(data);
        Files.write(src, data);
        ok("nbdcopy", src.toString(), uri());
        ok("nbdcopy", "--flush", src.toString(), uri());
        if (Files.isExecutable(Path.of("/usr/bin/qemu-io"))) {
            // Unmapped clusters (TRIM, WRITE_ZEROES) must leave a consistent BAT too.
            ok("qemu-io", "-f", "raw", "-c", "discard 0 4M", "-c", "write -z -u 8M 2M", "-c", "flush", uri());
        }
        server.close();
        image.close();
        image = null;
        Result check = run("qemu-img", "check", "-f", "parallels", delta.toString());
        assertThat(check.exit()).as(check.output()).isZero();
        assertThat(check.output()).contains("No errors were found");
    }

    // ------------------------------------------------------------------ bad clients

    /** A well-behaved client writing and reading back in a loop until stopped; counts rounds, keeps the first error. */
    static final class GoodClient implements Runnable {
        final Path socket;
        final AtomicLong rounds = new AtomicLong();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        volatile boolean stop;

        GoodClient(Path socket) {
            this.socket = socket;
        }

        @Override
        public void run() {
            Random r = new Random(4242);
            try (TestClient c = TestClient.unix(socket).connectStructured("root")) {
                while (!stop) {
                    long off = (long) r.nextInt(200) << 16;
                    byte[] d = new byte[1 + r.nextInt(200_000)];
                    r.nextBytes(d);
                    TestClient.Reply w = c.write(off, d, r.nextBoolean() ? Nbd.CMD_FLAG_FUA : 0);
                    if (w.error() != 0) {
                        throw new IOException("write failed: " + w.error() + " " + w.message());
                    }
                    TestClient.Reply rd = c.read(off, d.length);
                    if (rd.error() != 0 || !java.util.Arrays.equals(rd.data(), d)) {
                        throw new IOException("read back differs at " + off + " (error " + rd.error() + ")");
                    }
                    rounds.incrementAndGet();
                }
                c.disconnect();
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
            }
        }

        /** Waits until the good client has done a few more rounds: it kept working through the last step. */
        void advances(String step) throws InterruptedException {
            long start = rounds.get();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (rounds.get() < start + 3 && failure.get() == null && System.nanoTime() < deadline) {
                Thread.sleep(5);
            }
            assertThat(failure.get()).as("good client failed after: %s", step).isNull();
            assertThat(rounds.get()).as("good client stalled after: %s", step).isGreaterThanOrEqualTo(start + 3);
        }
    }

    @Test
    void badClientsGetSpecAnswersWhileAGoodClientKeepsWorking() throws Exception {
        NbdServer ro = NbdServer.builder(image).exportName("root").readOnly(true).build();
        Path roSocket = ro.listenUnix(dir.resolve("ro.sock"));
        GoodClient good = new GoodClient(socket);
        Thread t = Thread.ofVirtual().start(good);
        List<String> log = new ArrayList<>();
        Random r = new Random(13);
        try {
            good.advances("start");

            // Random bytes instead of client flags and options: dropped.
            try (TestClient bad = TestClient.unix(socket)) {
                bad.readN(18);
                byte[] junk = new byte[4096];
                r.nextBytes(junk);
                junk[0] = 0; // client flags with unknown bits would also do; make it reach the option magic
                junk[1] = 0;
                junk[2] = 0;
                junk[3] = 1;
                bad.send(ByteBuffer.wrap(junk));
                assertThat(bad.closedByServer()).isTrue();
            }
            good.advances("random bytes");

            // Wrong request magic in transmission: framing lost, dropped.
            try (TestClient bad = TestClient.unix(socket).connectStructured("root")) {
                ByteBuffer q = new Request(0, Nbd.CMD_READ, 1, 0, 512).encode();
                q.putInt(0, 0x12560953); // the historic request magic
                bad.send(q);
                assertThat(bad.closedByServer()).isTrue();
            }
            good.advances("wrong magic");

            // Oversized lengths: an option, a read, a write; each refused, the session goes on.
            try (TestClient bad = TestClient.unix(socket).greet(3)) {
                bad.send(ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_GO).putInt(64 << 20).flip());
                ByteBuffer zeros = ByteBuffer.allocate(1 << 20);
                for (long left = 64 << 20; left > 0;) {
                    zeros.clear().limit((int) Math.min(zeros.capacity(), left));
                    left -= zeros.remaining();
                    bad.send(zeros);
                }
                assertThat(bad.readOptionReply().type()).isEqualTo(Nbd.REP_ERR_TOO_BIG);
                bad.go("root");
                assertThat(bad.request(0, Nbd.CMD_READ, 0, 0xFFFF_FFFFL, null).error()).isEqualTo(Nbd.EINVAL);
                long big = Nbd.MAX_REQUEST * 3L;
                assertThat(bad.request(0, Nbd.CMD_WRITE, 0, big, ByteBuffer.allocate((int) big)).error())
                        .isEqualTo(Nbd.EINVAL);
                assertThat(bad.read(0, 4096).error()).isZero();
            }
            good.advances("oversized lengths");

            // Reads and writes past the end.
            try (TestClient bad = TestClient.unix(socket).connectSimple("root")) {
                assertThat(bad.read(SIZE - 4096, 8192).error()).isEqualTo(Nbd.EINVAL);
                assertThat(bad.write(SIZE, new byte[512], 0).error()).isEqualTo(Nbd.ENOSPC);
                assertThat(bad.request(0, Nbd.CMD_READ, Long.MIN_VALUE, 512, null).error()).isEqualTo(Nbd.EINVAL);
            }
            good.advances("past the end");

            // Writes to a read-only export.
            try (TestClient bad = TestClient.unix(roSocket).connectStructured("root")) {
                assertThat(bad.write(0, new byte[4096], 0).error()).isEqualTo(Nbd.EPERM);
                assertThat(bad.request(0, Nbd.CMD_TRIM, 0, 4096, null).error()).isEqualTo(Nbd.EPERM);
                assertThat(bad.read(0, 4096).error()).isZero();
            }
            good.advances("read-only");

            // Vanishing mid-request: inside a write payload, inside a header, with replies pending.
            for (int i = 0; i < 5; i++) {
                try (TestClient bad = TestClient.unix(socket).connectSimple("root")) {
                    bad.send(new Request(0, Nbd.CMD_WRITE, 1, 0, 8 << 20).encode());
                    bad.send(ByteBuffer.allocate(r.nextInt(1 << 20)));
                }
                try (TestClient bad = TestClient.unix(socket).connectStructured("root")) {
                    bad.send(ByteBuffer.wrap(new Request(0, Nbd.CMD_READ, 1, 0, 512).encode().array(), 0,
                            1 + r.nextInt(27)));
                }
                try (TestClient bad = TestClient.unix(socket).connectSimple("root")) {
                    for (int j = 0; j < 30; j++) {
                        bad.sendRequest(0, Nbd.CMD_READ, j, 0, 4 << 20, null);
                    }
                }
                try (TestClient bad = TestClient.unix(socket).greet(1)) {
                    bad.send(ByteBuffer.allocate(10).putLong(Nbd.IHAVEOPT).putShort((short) 0).flip());
                }
                log.add("vanish round " + i);
            }
            good.advances("vanishing clients");
        } finally {
            good.stop = true;
            t.join(TimeUnit.SECONDS.toMillis(30));
            ro.close();
        }
        assertThat(good.failure.get()).as("good client after %s", log).isNull();
        // Only listeners remain: every bad connection was cleaned up.
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (server.activeConnections() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertThat(server.activeConnections()).isZero();
        if (Files.isExecutable(Path.of("/usr/bin/nbdinfo"))) {
            assertThat(ok("nbdinfo", uri()).output()).contains("export-size: " + SIZE);
        }
    }
}
