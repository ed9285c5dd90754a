package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import dev.jvz.image.WriteTracker.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The final digest ({@link LiveCopy.Builder#finalDigest}): both ends compare the same hash list, a
 * damaged copy fails the copy, and the frozen window re-hashes only the ranges that changed in it.
 */
class LiveCopyDigestTest {
    private static final int RANGE = 64 * 1024;

    @TempDir
    Path dir;

    /** A sink that forwards to a jvz stream and, if asked, flips one byte of the n-th write (after the CRC would be computed: checksums are off). */
    private static final class Damaging implements CopySink {
        final JvzStreamSink inner;
        int damageWrite = -1;
        int writes;
        final java.util.List<String> calls = new java.util.ArrayList<>();

        Damaging(JvzStreamSink inner) {
            this.inner = inner;
        }

        @Override
        public void write(long pos, ByteBuffer data) throws IOException {
            calls.add("write");
            if (++writes == damageWrite) {
                ByteBuffer copy = ByteBuffer.allocate(data.remaining()).put(data).flip();
                copy.put(copy.limit() / 2, (byte) (copy.get(copy.limit() / 2) ^ 0x40));
                inner.write(pos, copy);
                return;
            }
            inner.write(pos, data);
        }

        @Override
        public void sync() throws IOException {
            calls.add("sync");
            inner.sync();
        }

        @Override
        public void finish() throws IOException {
            calls.add("finish");
            inner.finish();
        }

        @Override
        public void finish(FinalImage expected) throws IOException {
            calls.add("finish-digest");
            inner.finish(expected);
        }

        @Override
        public int digestRangeSize() {
            return inner.digestRangeSize();
        }

        @Override
        public ResumeInfo resume() {
            return inner.resume();
        }

        @Override
        public void close() throws IOException {
            inner.close();
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3})
    void aLiveCopyWithTheFinalDigestEqualsTheFrozenSourceAndBothEndsReportTheSameDigest(long seed) throws Exception {
        Path copy = dir.resolve("copy-" + seed);
        try (LiveWriters live = new LiveWriters(dir, 16L << 20, 3L << 20, 2, 300_000, seed)) {
            live.start();
            while (live.writes.get() < 20) {
                Thread.sleep(1);
            }
            Link link = new Link();
            CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), copy, Receiver.Options.defaults());
            CopyReport r;
            List<String> events;
            try (Damaging sink = new Damaging(JvzStreamSink.open(link.senderOut, link.senderFeedback,
                    JvzOptions.defaults().withResume(false, RANGE)))) {
                events = sink.calls;
                FreezeStep inner = live.freezeStep();
                r = builder(live, sink).freezeStep(new FreezeStep() {
                    @Override
                    public void freeze() throws IOException {
                        events.add("freeze");
                        inner.freeze();
                    }

                    @Override
                    public void thaw() throws IOException {
                        events.add("thaw");
                        inner.thaw();
                    }
                }).build().run();
            }
            live.requireNoWriterFailure();
            Receiver.Result got = Link.await(f);
            String why = "seed " + seed;
            assertThat(r.verify()).as(why).isNotNull();
            assertThat(r.verify().rangeSize()).isEqualTo(RANGE);
            assertThat(HexFormat.of().formatHex(got.sha256())).as(why + ": the receiver compared the same digest")
                    .isEqualTo(r.verify().sha256());
            assertThat(got.digest()).as(why).isEqualTo(Receiver.Digest.HASH_LIST);
            byte[] expected = clean(live.frozenSource);
            assertThat(Files.readAllBytes(copy)).as(why).isEqualTo(expected);
            assertThat(r.verify().sha256()).as(why + ": the hash list of the frozen source")
                    .isEqualTo(HexFormat.of().formatHex(Digests.rangeListSha256(
                            (dst, pos) -> read(expected, dst, pos), expected.length, RANGE)));
            // The comparison (a whole-image read at the receiver) comes after the thaw; the frozen window
            // ends with a sync that makes the copy durable.
            List<String> tail = events.subList(events.indexOf("freeze"), events.size());
            assertThat(tail.subList(tail.size() - 3, tail.size())).as(why)
                    .containsExactly("sync", "thaw", "finish-digest");
            assertThat(tail).as(why).doesNotContain("finish");
        }
    }

    @Test
    void aByteDamagedInTransitFailsTheCopyAtTheDigestComparisonAndTheReceiverRemovesTheCopy() throws Exception {
        Path copy = dir.resolve("copy");
        // No writers run: nothing re-sends the damaged block, whose damage only the digest can see.
        try (LiveWriters live = new LiveWriters(dir, 16L << 20, 3L << 20, 1, 300_000, 9)) {
            Link link = new Link();
            CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), copy, Receiver.Options.defaults());
            Throwable t;
            try (Damaging sink = new Damaging(JvzStreamSink.open(link.senderOut, link.senderFeedback,
                    JvzOptions.defaults().withChecksums(false).withResume(false, RANGE)))) {
                sink.damageWrite = 5;
                t = catchThrowable(() -> builder(live, sink).build().run());
            }
            assertThat(t).isInstanceOf(LiveCopyException.class)
                    .hasMessageContaining("the final digest comparison failed")
                    .hasMessageContaining("final image digest mismatch");
            assertThat(catchThrowable(() -> Link.await(f))).hasMessageContaining("final image digest mismatch");
            assertThat(copy).doesNotExist();
            assertThat(live.freeze.thaws).hasValue(1);
        }
    }

    /**
     * Scripted: pass 1 hashes the whole file as it goes (no second read), the unfrozen refresh reads
     * only the ranges the dirty passes broke (and the last range, whose end moves with the file), and
     * the frozen one only the header range and the ranges the frozen pass wrote.
     */
    @Test
    void theFrozenWindowReHashesOnlyTheRangesThatChangedInIt() throws Exception {
        int size = 64 * RANGE; // 4 MiB, 64 ranges
        MemorySource src = new MemorySource(size);
        TestSink sink = TestSink.counting();
        // Set 0 (pass 2, live) touches ranges 10 and 20; it converges (set 1), the pre-freeze pass finds
        // nothing (set 2), the frozen pass (set 3) touches range 40.
        ScriptedDirty feed = new ScriptedDirty(size, k -> switch (k) {
            case 0 -> List.of(new Extent(10L * RANGE + 4096, 4096), new Extent(20L * RANGE, 4096));
            case 3 -> List.of(new Extent(40L * RANGE + 8192, 4096));
            default -> List.of();
        });
        CopySink digesting = new CopySink() {
            @Override
            public void write(long pos, ByteBuffer data) throws IOException {
                sink.write(pos, data);
            }

            @Override
            public void sync() throws IOException {
                sink.sync();
            }

            @Override
            public void finish() throws IOException {
                sink.finish();
            }

            @Override
            public void finish(FinalImage expected) throws IOException {
                sink.finish();
            }

            @Override
            public int digestRangeSize() {
                return RANGE;
            }

            @Override
            public void close() throws IOException {
                sink.close();
            }
        };
        TestFreeze freeze = new TestFreeze();
        CopyReport r = LiveCopy.builder("scripted", digesting, () -> feed, () -> src).blockBytes(RANGE)
                .granularity(4096).freezeStep(freeze).finalDigest(true).build().run();
        assertThat(r.passes()).extracting(CopyReport.Pass::phase).containsExactly(CopyReport.Phase.LIVE,
                CopyReport.Phase.LIVE, CopyReport.Phase.PRE_FREEZE, CopyReport.Phase.FROZEN);
        assertThat(r.passes().getLast().bytes()).isEqualTo(4096);
        CopyReport.Verify v = r.verify();
        assertThat(v).isNotNull();
        assertThat(v.preFreezeBytes()).as("ranges 10 and 20 (dirty pass), and the last one")
                .isEqualTo(3L * RANGE);
        assertThat(v.frozenBytes()).as("the header range and range 40 (frozen pass); the last one kept its length")
                .isEqualTo(2L * RANGE);
        byte[] expected = clean(src.data);
        assertThat(v.sha256()).isEqualTo(HexFormat.of().formatHex(Digests.rangeListSha256(
                (dst, pos) -> read(expected, dst, pos), expected.length, RANGE)));
    }

    /** Model check of {@link RangeDigests}: random sends, rewrites re-sent later, refreshes; seeded. */
    @ParameterizedTest
    @ValueSource(longs = {11, 12, 13, 14, 15, 16, 17, 18})
    void rangeDigestsMatchTheHashListOfWhatWasSent(long seed) throws Exception {
        Random rnd = new Random(seed);
        int range = JvzFormat.MIN_RANGE;
        int length = range * (3 + rnd.nextInt(6)) + rnd.nextInt(range);
        byte[] source = new byte[length];
        rnd.nextBytes(source);
        byte[] dest = new byte[length];
        RangeDigests d = new RangeDigests(range);
        List<long[]> dirty = new java.util.ArrayList<>();
        // pass 1, linear in blocks of random size, with writers dirtying the source meanwhile
        for (int pos = 0; pos < length; ) {
            int n = Math.min(length - pos, 1 + rnd.nextInt(3 * range / 2));
            send(d, source, dest, pos, n);
            pos += n;
            if (rnd.nextInt(3) == 0) {
                dirty.add(write(rnd, source));
            }
        }
        if (rnd.nextBoolean()) {
            d.refresh((dst, pos) -> read(source, dst, pos), length, 0, null); // the unfrozen refresh
        }
        for (int i = 0; i < 3; i++) {
            dirty.add(write(rnd, source)); // more writes after the refresh
        }
        java.util.Collections.shuffle(dirty, rnd);
        for (long[] e : dirty) { // every write is sent after it happened (the tracker's promise)
            send(d, source, dest, (int) e[0], (int) e[1]);
        }
        byte[] header = new byte[512];
        rnd.nextBytes(header);
        System.arraycopy(header, 0, dest, 0, 512);
        d.sent(0, ByteBuffer.wrap(header));
        d.refresh((dst, pos) -> read(source, dst, pos), length, 0, header);
        FinalImage fi = d.finalImage(length);
        assertThat(fi.hex()).as("seed " + seed).isEqualTo(HexFormat.of().formatHex(
                Digests.rangeListSha256((dst, pos) -> read(dest, dst, pos), length, range)));
        assertThat(dest).as("seed " + seed + ": the model's copy is the patched source").isEqualTo(patched(source, header));
    }

    private static LiveCopy.Builder builder(LiveWriters live, CopySink sink) {
        return LiveCopy.builder(live.image, sink).granularity(4096).freezeStep(live.freezeStep()).finalDigest(true)
                .preFreezeSync(() -> {
                    try {
                        live.image.flush();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
    }

    private static void send(RangeDigests d, byte[] source, byte[] dest, int pos, int n) {
        ByteBuffer b = ByteBuffer.wrap(Arrays.copyOfRange(source, pos, pos + n));
        d.sent(pos, b);
        assertThat(b.remaining()).as("sent() does not consume").isEqualTo(n);
        System.arraycopy(source, pos, dest, pos, n);
    }

    private static long[] write(Random rnd, byte[] source) {
        int n = 1 + rnd.nextInt(8192);
        int pos = rnd.nextInt(source.length - n);
        for (int i = 0; i < n; i++) {
            source[pos + i] = (byte) rnd.nextInt();
        }
        return new long[] {pos, n};
    }

    private static byte[] patched(byte[] source, byte[] header) {
        byte[] b = source.clone();
        System.arraycopy(header, 0, b, 0, header.length);
        return b;
    }

    private static int read(byte[] from, ByteBuffer dst, long pos) {
        if (pos >= from.length) {
            return -1;
        }
        int n = (int) Math.min(dst.remaining(), from.length - pos);
        dst.put(from, (int) pos, n);
        return n;
    }

    /** The file with its header's inUse cleared, as the copy must end. */
    private static byte[] clean(byte[] file) throws Exception {
        byte[] b = file.clone();
        PloopHeader h = PloopHeader.decode(ByteBuffer.wrap(b, 0, PloopFormat.HEADER_SIZE), "src");
        int clean = h.extOffset() != 0 ? PloopFormat.INUSE_CLOSED_WITH_EXT : PloopFormat.INUSE_CLOSED;
        h.withInUse(clean).encode().get(b, 0, PloopFormat.HEADER_SIZE);
        return b;
    }
}
