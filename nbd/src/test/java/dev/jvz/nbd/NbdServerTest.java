package dev.jvz.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The server end to end over a Unix socket in a temp directory, with the strict {@link TestClient}. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NbdServerTest {
    static final long CLUSTER = 64 * 512; // 32 KiB: the smallest ploop cluster, many clusters in a small disk
    static final long SIZE = 128 * CLUSTER; // 4 MiB

    @TempDir
    Path dir;
    Image image;
    NbdServer server;
    Path socket;

    void start(boolean readOnly, long cluster, long size) throws Exception {
        start(readOnly, cluster, size, RequestExecution.VIRTUAL);
    }

    void start(boolean readOnly, long cluster, long size, RequestExecution execution) throws Exception {
        Path delta = dir.resolve("root.hdd");
        Image.create(delta, new CreateOptions(size, (int) (cluster / 512), 2));
        image = Image.open(delta, true);
        server = NbdServer.builder(image).exportName("root").description("test disk").readOnly(readOnly)
                .execution(execution).build();
        socket = server.listenUnix(dir.resolve("nbd.sock"));
    }

    void start() throws Exception {
        start(false, CLUSTER, SIZE);
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

    TestClient client() throws IOException {
        return TestClient.unix(socket);
    }

    // ------------------------------------------------------------------ handshake

    @Test
    void infoDescribesTheExport() throws Exception {
        start();
        try (TestClient c = client().greet(Nbd.FLAG_C_FIXED_NEWSTYLE)) {
            assertThat(c.handshakeFlags).isEqualTo(Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES);
            List<TestClient.OptionReply> rs = c.option(Nbd.OPT_INFO,
                    TestClient.exportData("root", Nbd.INFO_NAME, Nbd.INFO_DESCRIPTION, Nbd.INFO_BLOCK_SIZE));
            assertThat(rs.getLast().type()).isEqualTo(Nbd.REP_ACK);
            Map<Integer, ByteBuffer> infos = new HashMap<>();
            for (TestClient.OptionReply r : rs.subList(0, rs.size() - 1)) {
                assertThat(r.type()).isEqualTo(Nbd.REP_INFO);
                ByteBuffer b = r.buffer();
                infos.put((int) b.getShort(), b);
            }
            ByteBuffer e = infos.get(Nbd.INFO_EXPORT);
            assertThat(e.getLong()).isEqualTo(SIZE);
            int flags = e.getShort();
            assertThat(flags).isEqualTo(Nbd.FLAG_HAS_FLAGS | Nbd.FLAG_CAN_MULTI_CONN | Nbd.FLAG_SEND_FLUSH
                    | Nbd.FLAG_SEND_FUA | Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES);
            assertThat(StandardCharsets.UTF_8.decode(infos.get(Nbd.INFO_NAME)).toString()).isEqualTo("root");
            assertThat(StandardCharsets.UTF_8.decode(infos.get(Nbd.INFO_DESCRIPTION)).toString()).isEqualTo("test disk");
            ByteBuffer bs = infos.get(Nbd.INFO_BLOCK_SIZE);
            assertThat(new int[] {bs.getInt(), bs.getInt(), bs.getInt()}).containsExactly(1, 4096, Nbd.MAX_REQUEST);
            // Still in the handshake after INFO: structured replies now add DF to the flags.
            c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]);
            c.go("");
            assertThat(c.transmissionFlags & Nbd.FLAG_SEND_DF).isNotZero();
        }
    }

    @ParameterizedTest
    @CsvSource({"true", "false"})
    void exportNameHonoursNoZeroes(boolean noZeroes) throws Exception {
        start();
        try (TestClient c = client().greet(Nbd.FLAG_C_FIXED_NEWSTYLE | (noZeroes ? Nbd.FLAG_C_NO_ZEROES : 0))) {
            c.sendOption(Nbd.OPT_EXPORT_NAME, "root".getBytes(StandardCharsets.UTF_8));
            ByteBuffer r = c.readN(10 + (noZeroes ? 0 : 124));
            assertThat(r.getLong()).isEqualTo(SIZE);
            assertThat(r.getShort() & Nbd.FLAG_HAS_FLAGS).isOne();
            while (r.hasRemaining()) {
                assertThat(r.get()).isZero();
            }
            // The very next bytes must be a reply to a request, not padding.
            TestClient.Reply rep = c.read(0, 512);
            assertThat(rep.error()).isZero();
        }
    }

    @Test
    void exportNameForAnUnknownExportDisconnects() throws Exception {
        start();
        try (TestClient c = client().greet(1)) {
            c.sendOption(Nbd.OPT_EXPORT_NAME, "nope".getBytes(StandardCharsets.UTF_8));
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void optionsAreAnsweredPerSpec() throws Exception {
        start();
        try (TestClient c = client().greet(1)) {
            List<TestClient.OptionReply> list = c.option(Nbd.OPT_LIST, new byte[0]);
            assertThat(list).hasSize(2);
            assertThat(list.get(0).type()).isEqualTo(Nbd.REP_SERVER);
            assertThat(list.get(0).buffer().getInt()).isEqualTo(4);
            assertThat(c.option(Nbd.OPT_LIST, new byte[1]).getLast().type()).isEqualTo(Nbd.REP_ERR_INVALID);
            assertThat(c.option(Nbd.OPT_STARTTLS, new byte[0]).getLast().type()).isEqualTo(Nbd.REP_ERR_UNSUP);
            assertThat(c.option(4242, new byte[7]).getLast().type()).isEqualTo(Nbd.REP_ERR_UNSUP);
            assertThat(c.option(Nbd.OPT_INFO, TestClient.exportData("other")).getLast().type())
                    .isEqualTo(Nbd.REP_ERR_UNKNOWN);
            assertThat(c.option(Nbd.OPT_GO, new byte[] {0, 0, 0, 9}).getLast().type()).isEqualTo(Nbd.REP_ERR_INVALID);
            assertThat(c.option(Nbd.OPT_SET_META_CONTEXT, TestClient.metaData("root", Nbd.BASE_ALLOCATION)).getLast()
                    .type()).isEqualTo(Nbd.REP_ERR_INVALID); // before STRUCTURED_REPLY
            assertThat(c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[2]).getLast().type()).isEqualTo(Nbd.REP_ERR_INVALID);
            assertThat(c.option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]).getLast().type()).isEqualTo(Nbd.REP_ACK);
            List<TestClient.OptionReply> lm = c.option(Nbd.OPT_LIST_META_CONTEXT, TestClient.metaData("root", "base:"));
            assertThat(lm).hasSize(2);
            assertThat(new String(lm.get(0).data(), 4, lm.get(0).data().length - 4, StandardCharsets.UTF_8))
                    .isEqualTo(Nbd.BASE_ALLOCATION);
            assertThat(c.option(Nbd.OPT_LIST_META_CONTEXT, TestClient.metaData("root", "x-foo:bar"))).hasSize(1);
            assertThat(c.option(Nbd.OPT_SET_META_CONTEXT, TestClient.metaData("root", "base:"))).hasSize(1);
            List<TestClient.OptionReply> set = c.option(Nbd.OPT_SET_META_CONTEXT,
                    TestClient.metaData("root", Nbd.BASE_ALLOCATION, "qemu:dirty-bitmap:a"));
            assertThat(set).hasSize(2);
            assertThat(set.get(0).buffer().getInt()).isEqualTo(Nbd.BASE_ALLOCATION_ID);
            // Oversized option: refused, its data skipped, the session continues.
            c.send(ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_INFO)
                    .putInt(Nbd.MAX_OPTION_LENGTH + 1).flip());
            c.send(ByteBuffer.allocate(Nbd.MAX_OPTION_LENGTH + 1));
            assertThat(c.readOptionReply().type()).isEqualTo(Nbd.REP_ERR_TOO_BIG);
            assertThat(c.option(Nbd.OPT_ABORT, new byte[0]).getLast().type()).isEqualTo(Nbd.REP_ACK);
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void unknownClientFlagsDropTheConnection() throws Exception {
        start();
        try (TestClient c = client().greet(1 | 1 << 5)) {
            assertThat(c.closedByServer()).isTrue();
        }
    }

    // ------------------------------------------------------------------ data

    @ParameterizedTest
    @CsvSource({"true, 11, VIRTUAL", "false, 12, VIRTUAL", "true, 13, PLATFORM", "false, 14, INLINE",
        "true, 15, INLINE"})
    void randomIoMatchesAModel(boolean structured, long seed, RequestExecution execution) throws Exception {
        start(false, CLUSTER, SIZE, execution);
        Random r = new Random(seed);
        byte[] model = new byte[(int) SIZE];
        try (TestClient c = structured ? client().connectStructured("root") : client().connectSimple("root")) {
            assertThat(c.size).isEqualTo(SIZE);
            for (int i = 0; i < 200; i++) {
                int off = r.nextInt((int) SIZE - 1);
                int len = 1 + r.nextInt(Math.min((int) SIZE - off, (int) CLUSTER * 3));
                switch (r.nextInt(4)) {
                    case 0, 1 -> {
                        byte[] d = new byte[len];
                        r.nextBytes(d);
                        assertThat(c.write(off, d, r.nextInt(4) == 0 ? Nbd.CMD_FLAG_FUA : 0).error())
                                .as("seed %d", seed).isZero();
                        System.arraycopy(d, 0, model, off, len);
                    }
                    case 2 -> {
                        TestClient.Reply rep = c.read(off, len);
                        assertThat(rep.error()).isZero();
                        assertThat(rep.data()).as("seed %d read %d+%d", seed, off, len)
                                .isEqualTo(java.util.Arrays.copyOfRange(model, off, off + len));
                    }
                    default -> {
                        boolean noHole = r.nextBoolean();
                        assertThat(c.request(noHole ? Nbd.CMD_FLAG_NO_HOLE : 0, Nbd.CMD_WRITE_ZEROES, off, len, null)
                                .error()).isZero();
                        java.util.Arrays.fill(model, off, off + len, (byte) 0);
                    }
                }
            }
            assertThat(c.request(0, Nbd.CMD_FLUSH, 0, 0, null).error()).isZero();
            TestClient.Reply all = c.read(0, (int) SIZE);
            assertThat(all.data()).as("seed %d", seed).isEqualTo(model);
            c.disconnect();
            assertThat(c.closedByServer()).isTrue();
        }
    }

    @Test
    void holesAndBlockStatusFollowTheClusterMap() throws Exception {
        start();
        try (TestClient c = client().connectStructured("root")) {
            byte[] d = new byte[100];
            java.util.Arrays.fill(d, (byte) 7);
            c.write(3 * CLUSTER + 10, d, 0); // cluster 3 allocated
            c.write(4 * CLUSTER, new byte[(int) CLUSTER], 0); // cluster 4 allocated (zeros, but mapped)
            TestClient.Reply rep = c.read(2 * CLUSTER, (int) (4 * CLUSTER));
            // hole (cluster 2), data (3-4), hole (5)
            assertThat(rep.chunkTypes()).extracting(t -> t[0]).containsExactly(Nbd.REPLY_TYPE_OFFSET_HOLE,
                    Nbd.REPLY_TYPE_OFFSET_DATA, Nbd.REPLY_TYPE_OFFSET_HOLE);
            assertThat(rep.data()[(int) CLUSTER + 10]).isEqualTo((byte) 7);
            TestClient.Reply df = c.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 2 * CLUSTER, 4 * CLUSTER, null);
            assertThat(df.chunkTypes()).extracting(t -> t[0]).containsExactly(Nbd.REPLY_TYPE_OFFSET_DATA);
            assertThat(df.data()).isEqualTo(rep.data());
            TestClient.Reply bs = c.request(0, Nbd.CMD_BLOCK_STATUS, 0, SIZE, null);
            assertThat(bs.extents()).containsExactly(new long[] {3 * CLUSTER, 3}, new long[] {2 * CLUSTER, 0},
                    new long[] {SIZE - 5 * CLUSTER, 3});
            TestClient.Reply one = c.request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_BLOCK_STATUS, 100, 2 * CLUSTER, null);
            assertThat(one.extents()).containsExactly(new long[] {2 * CLUSTER, 3}); // never longer than asked
            // TRIM whole clusters 3..4 (plus ragged edges that stay): they become holes again.
            assertThat(c.request(Nbd.CMD_FLAG_FUA, Nbd.CMD_TRIM, 3 * CLUSTER - 5, 2 * CLUSTER + 10, null).error())
                    .isZero();
            assertThat(c.request(0, Nbd.CMD_BLOCK_STATUS, 0, SIZE, null).extents())
                    .containsExactly(new long[] {SIZE, 3});
            // WRITE_ZEROES with NO_HOLE allocates; without, it leaves holes.
            c.request(Nbd.CMD_FLAG_NO_HOLE, Nbd.CMD_WRITE_ZEROES, CLUSTER, CLUSTER, null);
            c.request(0, Nbd.CMD_WRITE_ZEROES, 5 * CLUSTER, CLUSTER, null);
            assertThat(c.request(0, Nbd.CMD_BLOCK_STATUS, 0, 3 * CLUSTER, null).extents())
                    .containsExactly(new long[] {CLUSTER, 3}, new long[] {CLUSTER, 0}, new long[] {CLUSTER, 3});
        }
    }

    @Test
    void errorsFollowTheSpec() throws Exception {
        start();
        try (TestClient s = client().connectStructured("root"); TestClient p = client().connectSimple("root")) {
            for (TestClient c : List.of(s, p)) {
                assertThat(c.read(SIZE - 512, 1024).error()).isEqualTo(Nbd.EINVAL);
                assertThat(c.request(0, Nbd.CMD_READ, -4096, 512, null).error()).isEqualTo(Nbd.EINVAL);
                assertThat(c.write(SIZE - 1, new byte[2], 0).error()).isEqualTo(Nbd.ENOSPC);
                assertThat(c.request(0, Nbd.CMD_WRITE_ZEROES, SIZE, 1, null).error()).isEqualTo(Nbd.ENOSPC);
                assertThat(c.request(0, Nbd.CMD_WRITE_ZEROES, 0, SIZE, null).error()).isZero(); // no payload: any size
                assertThat(c.request(0, Nbd.CMD_TRIM, SIZE, 1, null).error()).isEqualTo(Nbd.EINVAL);
                assertThat(c.request(0, Nbd.CMD_READ, 0, Nbd.MAX_REQUEST + 1L, null).error()).isEqualTo(Nbd.EINVAL);
                assertThat(c.request(0, 77, 0, 0, null).error()).isEqualTo(Nbd.EINVAL);
                assertThat(c.request(Nbd.CMD_FLAG_REQ_ONE, Nbd.CMD_WRITE, 0, 1, ByteBuffer.allocate(1)).error())
                        .isEqualTo(Nbd.EINVAL);
                assertThat(c.request(0, Nbd.CMD_FLUSH, 0, 512, null).error()).isEqualTo(Nbd.EINVAL);
                // An oversized write: its payload is skipped and the connection keeps working.
                long big = Nbd.MAX_REQUEST + 4096L;
                assertThat(c.request(0, Nbd.CMD_WRITE, 0, big, ByteBuffer.allocate((int) big)).error())
                        .isEqualTo(Nbd.EINVAL);
                assertThat(c.read(0, 512).error()).isZero();
            }
            assertThat(s.request(0, Nbd.CMD_BLOCK_STATUS, SIZE - 512, 1024, null).error()).isEqualTo(Nbd.EINVAL);
            assertThat(s.read(SIZE - 512, 1024).message()).contains("beyond the end");
            assertThat(p.request(0, Nbd.CMD_BLOCK_STATUS, 0, 512, null).error()).isEqualTo(Nbd.EINVAL);
            assertThat(p.request(Nbd.CMD_FLAG_DF, Nbd.CMD_READ, 0, 512, null).error()).isEqualTo(Nbd.EINVAL);
        }
    }

    @Test
    void readOnlyExportRefusesWritesWithEperm() throws Exception {
        start(true, CLUSTER, SIZE);
        try (TestClient c = client().connectStructured("root")) {
            assertThat(c.transmissionFlags & Nbd.FLAG_READ_ONLY).isNotZero();
            assertThat(c.transmissionFlags & (Nbd.FLAG_SEND_TRIM | Nbd.FLAG_SEND_WRITE_ZEROES)).isZero();
            assertThat(c.write(0, new byte[512], 0).error()).isEqualTo(Nbd.EPERM);
            assertThat(c.request(0, Nbd.CMD_TRIM, 0, 512, null).error()).isEqualTo(Nbd.EPERM);
            assertThat(c.request(0, Nbd.CMD_WRITE_ZEROES, 0, 512, null).error()).isEqualTo(Nbd.EPERM);
            assertThat(c.read(0, 512).error()).isZero();
        }
    }

    @ParameterizedTest
    @CsvSource({"VIRTUAL", "PLATFORM", "INLINE"})
    void pipelinedRequestsAllGetTheirReplies(RequestExecution execution) throws Exception {
        start(false, CLUSTER, SIZE, execution);
        try (TestClient c = client().connectSimple("root")) {
            int n = 300;
            for (int i = 0; i < n; i++) {
                byte[] d = new byte[4096];
                java.util.Arrays.fill(d, (byte) i);
                c.sendRequest(0, Nbd.CMD_WRITE, 1000 + i, (long) i * 4096 % SIZE, 4096, ByteBuffer.wrap(d));
            }
            java.util.Set<Long> handles = new java.util.HashSet<>();
            for (int i = 0; i < n; i++) {
                TestClient.Reply r = c.readReply(0);
                assertThat(r.error()).isZero();
                handles.add(r.handle());
            }
            assertThat(handles).hasSize(n);
        }
    }

    @Test
    void badClientsAreDroppedWhileAGoodOneKeepsWorking() throws Exception {
        start();
        Random r = new Random(77);
        try (TestClient good = client().connectStructured("root")) {
            byte[] d = new byte[8192];
            r.nextBytes(d);
            assertThat(good.write(0, d, 0).error()).isZero();
            // 1. random bytes instead of a handshake
            try (TestClient bad = client()) {
                byte[] junk = new byte[500];
                r.nextBytes(junk);
                bad.readN(18);
                bad.send(ByteBuffer.wrap(junk));
                assertThat(bad.closedByServer()).isTrue();
            }
            assertThat(good.read(0, 8192).data()).isEqualTo(d);
            // 2. wrong request magic in transmission
            try (TestClient bad = client().connectSimple("root")) {
                ByteBuffer req = new Request(0, Nbd.CMD_READ, 1, 0, 512).encode();
                req.put(0, (byte) 0x99);
                bad.send(req);
                assertThat(bad.closedByServer()).isTrue();
            }
            assertThat(good.read(0, 8192).data()).isEqualTo(d);
            // 3. vanishing in the middle of a write payload, and in the middle of a header
            try (TestClient bad = client().connectSimple("root")) {
                bad.send(new Request(0, Nbd.CMD_WRITE, 1, 0, 1 << 20).encode());
                bad.send(ByteBuffer.allocate(1000));
            }
            try (TestClient bad = client().connectSimple("root")) {
                bad.send(ByteBuffer.wrap(new Request(0, Nbd.CMD_READ, 1, 0, 512).encode().array(), 0, 13));
            }
            // 4. asking for a lot and leaving before reading the answer
            try (TestClient bad = client().connectSimple("root")) {
                for (int i = 0; i < 20; i++) {
                    bad.sendRequest(0, Nbd.CMD_READ, i, 0, 1 << 20, null);
                }
            }
            assertThat(good.read(0, 8192).data()).isEqualTo(d);
            assertThat(good.write(8192, d, Nbd.CMD_FLAG_FUA).error()).isZero();
            // Only the good client remains.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (server.activeConnections() > 1 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(server.activeConnections()).isEqualTo(1);
        }
    }

    @Test
    void closeStopsAcceptingDisconnectsAndRemovesTheSocket() throws Exception {
        start();
        TestClient c = client().connectSimple("root");
        assertThat(c.write(0, new byte[4096], 0).error()).isZero();
        TestClient inHandshake = client().greet(1);
        server.close();
        assertThat(server.activeConnections()).isZero();
        assertThat(c.closedByServer()).isTrue();
        assertThat(inHandshake.closedByServer()).isTrue();
        assertThat(Files.exists(socket)).isFalse();
        assertThatThrownBy(this::client).isInstanceOf(IOException.class);
        c.close();
        inHandshake.close();
        server.awaitClosed();
    }

    @Test
    void silentClientsAreDisconnectedAfterTheHandshakeTimeout() throws Exception {
        Path delta = dir.resolve("root.hdd");
        Image.create(delta, new CreateOptions(SIZE, 64, 2));
        image = Image.open(delta, true);
        server = NbdServer.builder(image).handshakeTimeout(java.time.Duration.ofMillis(300)).build();
        socket = server.listenUnix(dir.resolve("nbd.sock"));
        try (TestClient silent = client(); TestClient quick = client().connectSimple("")) {
            silent.readN(18);
            long t0 = System.nanoTime();
            assertThat(silent.closedByServer()).isTrue();
            assertThat(System.nanoTime() - t0).isGreaterThan(TimeUnit.MILLISECONDS.toNanos(100));
            Thread.sleep(500); // past the deadline: a client in transmission is not affected
            assertThat(quick.read(0, 512).error()).isZero();
        }
    }

    @Test
    void builderValidatesNames() throws Exception {
        start();
        assertThatThrownBy(() -> NbdServer.builder(image).exportName("a\0b").build())
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> server.listenUnix(socket)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    }
}
