package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.copy.FaultProxy.Fault;
import dev.jvz.copy.FaultProxy.Kind;
import dev.jvz.copy.FaultRig.Frame;
import dev.jvz.copy.FaultRig.Protocol;
import dev.jvz.copy.FaultRig.Run;
import dev.jvz.copy.FaultRig.StreamMap;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.WriteTracker;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The fault matrix of a live copy, end to end over real TCP with the real sinks and receiver
 * ({@link FaultRig}): the connection cut in every phase, the receiver killed, a corrupted block. Each
 * failure must leave: a {@link LiveCopyException} that says where it happened; thaw called exactly
 * once if freeze was; the tracker stopped (a new one starts); the source file untouched by the copy and
 * the image still usable; the receiver failed and its partial file removed (kept with {@code keep}).
 */
@Timeout(60)
class CopyFaultsTest {
    private static final long MIB = 1L << 20;
    /**
     * How far the sender may be ahead of the byte the proxy is forwarding: its 256 KiB stream buffer,
     * a 64 KiB send buffer and the proxy's 64 KiB receive buffer (the kernel doubles both), with room to
     * spare. A cut this far before the end of a pass is noticed within that pass.
     */
    private static final long AHEAD = 1100L << 10;
    /** File offsets from here on are sent once (pass 1 only): no later pass repairs a damage there. */
    private static final long UNTOUCHED = 4L << 20;

    @TempDir
    static Path shared;
    @TempDir
    Path dir;

    private static final Map<Protocol, Clean> CLEAN = new EnumMap<>(Protocol.class);

    /** A fault-free run recorded by the proxy: the map of its stream. */
    record Clean(CopyReport report, StreamMap map) {}

    static synchronized Clean clean(Protocol p) throws Exception {
        Clean c = CLEAN.get(p);
        if (c != null) {
            return c;
        }
        FaultRig rig = new FaultRig(Files.createDirectories(shared.resolve("clean-" + p)), p, 42);
        rig.record = true;
        Run run = rig.run();
        try {
            assertThat(run.failure).as("the clean run").isNull();
            Receiver.Result res = run.receiver.get(10, TimeUnit.SECONDS);
            assertThat(res.protocol()).isEqualTo(p == Protocol.JVZ ? "jvz" : "legacy");
            assertThat(Files.readAllBytes(run.target)).as("the copy is the source with a clean header")
                    .isEqualTo(withCleanHeader(run.expectedSource));
            byte[] stream = run.proxy.recorded(rig.dataConnection());
            c = new Clean(run.report, FaultRig.map(stream, p, run.report));
        } finally {
            run.image.close();
        }
        CLEAN.put(p, c);
        return c;
    }

    static byte[] withCleanHeader(byte[] source) throws Exception {
        byte[] b = source.clone();
        dev.jvz.image.PloopHeader h = dev.jvz.image.PloopHeader.decode(ByteBuffer.wrap(b), "source");
        h.withInUse(PloopFormat.INUSE_CLOSED).encode().get(b, 0, PloopFormat.HEADER_SIZE);
        return b;
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aCleanRunThroughTheProxyCopiesExactlyAndHasTheExpectedPhases(Protocol p) throws Exception {
        Clean c = clean(p);
        List<CopyReport.Pass> passes = c.report().passes();
        assertThat(passes).extracting(CopyReport.Pass::phase).containsExactly(CopyReport.Phase.LIVE,
                CopyReport.Phase.LIVE, CopyReport.Phase.PRE_FREEZE, CopyReport.Phase.FROZEN);
        assertThat(passes.get(1).bytes()).as("pass 2 re-sends what the writer rewrote").isGreaterThanOrEqualTo(
                FaultRig.DIRTY_BYTES);
        assertThat(passes.get(3).bytes()).as("the frozen pass sends what the freeze flushed").isGreaterThanOrEqualTo(
                FaultRig.DIRTY_BYTES);
        StreamMap m = c.map();
        assertThat(m.pass1().to()).isLessThanOrEqualTo(m.pass2().from());
        assertThat(m.pass2().to()).isLessThanOrEqualTo(m.sync().from());
        assertThat(m.sync().to()).isLessThanOrEqualTo(m.frozen().from());
        assertThat(m.frozen().to()).isLessThanOrEqualTo(m.header().from());
        assertThat(m.header().to()).isLessThanOrEqualTo(m.finish().from());
        assertThat(m.finish().to()).isEqualTo(m.total());
        System.out.printf("clean %s run: stream %d bytes; pass1 %s, pass2 %s, sync %s, frozen %s, header %s,"
                + " finish %s%n", p, m.total(), m.pass1(), m.pass2(), m.sync(), m.frozen(), m.header(), m.finish());
    }

    /** Where in the stream a cut lands. */
    enum Phase { PASS1, DIRTY_PASS, SYNC, FROZEN_PASS, HEADER, FINISH }

    static Stream<Arguments> cuts() {
        return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Phase.values()).flatMap(ph -> Stream.of(
                Arguments.of(p, ph, 1000L + ph.ordinal()), Arguments.of(p, ph, 2000L + ph.ordinal()))));
    }

    /** A cut offset inside {@code phase} of the clean stream (seeded), early enough to be noticed there. */
    static long cutOffset(StreamMap m, Protocol p, Phase phase, Random r) {
        return switch (phase) {
            case PASS1 -> m.pass1().pick(r, AHEAD);
            case DIRTY_PASS -> m.pass2().pick(r, AHEAD);
            case SYNC -> m.sync().from() + 8; // inside the SYNC header: the receiver never sees the request
            case FROZEN_PASS -> m.frozen().pick(r, AHEAD);
            case HEADER -> m.header().pick(r, 0);
            // jvz: inside END; legacy: inside the SYNC that finish() sends before its END frame
            case FINISH -> p == Protocol.JVZ ? m.finish().pick(r, 0)
                    : m.finish().from() + r.nextLong(16 + LegacyFormat.SYNC_SIZE);
        };
    }

    @ParameterizedTest(name = "{0} cut in {1}, seed {2}")
    @MethodSource("cuts")
    void aConnectionCutInAnyPhaseFailsTheCopyCleanly(Protocol p, Phase phase, long seed) throws Exception {
        StreamMap m = clean(p).map();
        long at = cutOffset(m, p, phase, new Random(seed));
        FaultRig rig = new FaultRig(dir, p, 42);
        rig.fault = new Fault(Kind.CUT, rig.dataConnection(), at);
        Run run = rig.run();
        String why = p + " cut at stream byte " + at + " of " + m.total() + " (" + phase + ", seed " + seed + ")";
        try {
            assertThat(run.proxy.fired.getCount()).as(why + ": the cut happened").isZero();
            boolean frozen = phase.compareTo(Phase.FROZEN_PASS) >= 0;
            String where = switch (phase) {
                case PASS1 -> "pass 1 could not send to the destination";
                case DIRTY_PASS -> "pass 2 could not send to the destination";
                case SYNC -> "the destination did not acknowledge the sync before the freeze";
                case FROZEN_PASS -> "pass 4 could not send to the destination";
                // The header sector sits in the sink's buffer; the break shows when finish() flushes.
                case HEADER, FINISH -> "the destination failed to finish the copy";
            };
            assertCleanFailure(run, why, frozen, false);
            assertThat(run.failure).as(why).hasMessageContaining(where);
            if (frozen) {
                assertThat(run.failure).as(why).hasMessageContaining("the source was thawed");
            }
            System.out.println(why + " -> " + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }

    /**
     * Legacy's blind spot: nothing answers the END frame, so a cut inside it goes unnoticed by the sender
     * (the last sync said the data is durable), while the receiver sees a truncated stream and, without
     * keep, removes the complete copy. The jvz protocol answers END with DONE and has no such gap.
     */
    @Test
    void legacyCutInsideTheEndFrameIsInvisibleToTheSenderAndTheReceiverDropsTheCopy() throws Exception {
        StreamMap m = clean(Protocol.LEGACY).map();
        FaultRig rig = new FaultRig(dir, Protocol.LEGACY, 42);
        rig.fault = new Fault(Kind.CUT, rig.dataConnection(), m.endFrame().start() + 7);
        Run run = rig.run();
        try {
            assertThat(run.failure).as("the legacy sender cannot see it").isNull();
            assertThat(run.freeze.thaws).hasValue(1);
            Throwable t = receiverFailure(run);
            assertThat(t).hasMessageContaining("before the end frame");
            assertThat(run.target).doesNotExist();
        } finally {
            run.image.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void withKeepTheReceiverKeepsItsPartialFileAfterACut(Protocol p) throws Exception {
        StreamMap m = clean(p).map();
        FaultRig rig = new FaultRig(dir, p, 42);
        rig.receiverOptions = Receiver.Options.defaults().withKeep(true);
        rig.fault = new Fault(Kind.CUT, rig.dataConnection(), m.pass2().pick(new Random(5), AHEAD));
        Run run = rig.run();
        try {
            assertCleanFailure(run, p + " keep", false, true);
            assertThat(run.failure).hasMessageContaining("pass 2 could not send");
        } finally {
            run.image.close();
        }
    }

    @ParameterizedTest
    @EnumSource(Protocol.class)
    void aReceiverKilledMidCopyFailsTheSenderInThatPass(Protocol p) throws Exception {
        StreamMap m = clean(p).map();
        FaultRig rig = new FaultRig(dir, p, 42);
        long at = m.pass1().pick(new Random(77), AHEAD);
        rig.fault = new Fault(Kind.HOOK, rig.dataConnection(), at);
        rig.hook = FaultRig.ReceiverServer::kill;
        Run run = rig.run();
        String why = p + " receiver killed at stream byte " + at;
        try {
            assertThat(run.proxy.fired.getCount()).isZero();
            assertCleanFailure(run, why, false, false);
            assertThat(run.failure).as(why).hasMessageContaining("pass 1 could not send to the destination");
            System.out.println(why + " -> " + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }

    /** A DATA frame of pass 1, early enough to be noticed in pass 1, and an offset in its payload. */
    static long[] corruptionPoint(StreamMap m, Protocol p, Random r) {
        return corruptionPoint(m, p, r, 0);
    }

    /**
     * As above, in a frame at file offset {@code minPos} or later: a damage the sender will not notice
     * must lie where no later pass re-sends (the writer and the freeze rewrite below 3.5 MiB of the disk).
     */
    static long[] corruptionPoint(StreamMap m, Protocol p, Random r, long minPos) {
        int header = p == Protocol.JVZ ? 32 : 16;
        long limit = minPos > 0 ? m.pass1().to() : m.pass1().to() - AHEAD;
        List<Frame> candidates = m.frames().stream().filter(f -> f.kind().equals("DATA") && f.pos() >= minPos
                && f.start() >= m.pass1().from() && f.end() <= limit && f.dataBytes() > 0).toList();
        Frame f = candidates.get(r.nextInt(candidates.size()));
        long k = r.nextLong(f.dataBytes());
        return new long[] {f.start() + header + k, f.pos(), f.pos() + k};
    }

    @Test
    void aCorruptedBlockIsCaughtByTheJvzChecksumAndTheSenderNamesItsOffset() throws Exception {
        StreamMap m = clean(Protocol.JVZ).map();
        long[] c = corruptionPoint(m, Protocol.JVZ, new Random(9));
        FaultRig rig = new FaultRig(dir, Protocol.JVZ, 42);
        rig.fault = new Fault(Kind.FLIP, 1, c[0]);
        Run run = rig.run();
        try {
            assertThat(run.proxy.fired.getCount()).isZero();
            assertCleanFailure(run, "jvz flip", false, false);
            assertThat(run.failure).hasMessageContaining("pass 1 could not send to the destination")
                    .hasMessageContaining("CRC32C mismatch in the block at image offset " + c[1] + " ");
            assertThat(receiverFailure(run)).isInstanceOf(ChecksumMismatchException.class);
            System.out.println("jvz flip at stream byte " + c[0] + " (file byte " + c[2] + ") -> "
                    + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }

    /**
     * With CRC32C off, the jvz final SHA-256 (END) still catches a damaged block, at finish: the copy
     * fails after the frozen pass, the source is thawed, the receiver drops the file.
     */
    @Test
    void withoutChecksumsTheJvzFinalDigestCatchesACorruptedBlockAtFinish() throws Exception {
        StreamMap m = clean(Protocol.JVZ).map();
        long[] c = corruptionPoint(m, Protocol.JVZ, new Random(10), UNTOUCHED);
        FaultRig rig = new FaultRig(dir, Protocol.JVZ, 42);
        Path source = dir.resolve("root.hdd");
        rig.jvzOptions = JvzOptions.defaults().withChecksums(false)
                .withFinalImage(() -> FaultRig.finalImage(source));
        rig.fault = new Fault(Kind.FLIP, 1, c[0]);
        Run run = rig.run();
        try {
            assertCleanFailure(run, "jvz flip, no crc", true, false);
            assertThat(run.failure).hasMessageContaining("the destination failed to finish the copy")
                    .hasMessageContaining("final image digest mismatch");
            assertThat(receiverFailure(run)).isInstanceOf(ChecksumMismatchException.class);
        } finally {
            run.image.close();
        }
    }

    /**
     * The legacy stream has no checksums and no final digest: a damaged block is written as received,
     * both ends report success, and only a comparison outside the protocol (the SHA-256 of the source
     * with the clean header against the copy's) shows it. This pins that limitation.
     */
    @Test
    void legacyCannotDetectACorruptedBlockOnlyAnOutOfBandDigestShowsIt() throws Exception {
        StreamMap m = clean(Protocol.LEGACY).map();
        long[] c = corruptionPoint(m, Protocol.LEGACY, new Random(9), UNTOUCHED);
        FaultRig rig = new FaultRig(dir, Protocol.LEGACY, 42);
        rig.fault = new Fault(Kind.FLIP, 2, c[0]);
        Run run = rig.run();
        try {
            assertThat(run.proxy.fired.getCount()).isZero();
            assertThat(run.failure).as("legacy cannot notice").isNull();
            assertThat(run.receiver.get(10, TimeUnit.SECONDS).protocol()).isEqualTo("legacy");
            byte[] expected = withCleanHeader(run.expectedSource);
            byte[] got = Files.readAllBytes(run.target);
            assertThat(Arrays.mismatch(expected, got)).as("the damaged byte").isEqualTo((int) c[2]);
            assertThat(Arrays.mismatch(Arrays.copyOfRange(expected, (int) c[2] + 1, expected.length),
                    Arrays.copyOfRange(got, (int) c[2] + 1, got.length))).as("nothing else differs").isEqualTo(-1);
            FinalImage want = FaultRig.finalImage(run.source);
            byte[] have = Digests.sha256().digest(Files.readAllBytes(run.target));
            assertThat(have).as("an out-of-band digest comparison catches it").isNotEqualTo(want.sha256());
        } finally {
            run.image.close();
        }
    }

    static Stream<Arguments> stalls() {
        return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Phase.PASS1, Phase.SYNC, Phase.FROZEN_PASS)
                .map(ph -> Arguments.of(p, ph)));
    }

    /**
     * A receiver that stops reading (the proxy stops forwarding both ways, the connection stays up):
     * with a stall timeout the sender fails within about that time, whether it was blocked writing
     * (a pass) or waiting for an answer (the sync ack); without one it would wait forever.
     */
    @ParameterizedTest(name = "{0} stalled in {1}")
    @MethodSource("stalls")
    void aStalledReceiverFailsTheSenderWithinTheStallTimeout(Protocol p, Phase phase) throws Exception {
        StreamMap m = clean(p).map();
        long at = cutOffset(m, p, phase, new Random(31 + phase.ordinal()));
        FaultRig rig = new FaultRig(dir, p, 42);
        rig.fault = new Fault(Kind.STALL, rig.dataConnection(), at);
        rig.stallTimeout = Duration.ofMillis(800);
        Run run = rig.run();
        String why = p + " stalled at stream byte " + at + " (" + phase + ")";
        try {
            assertThat(run.proxy.fired.getCount()).as(why + ": the stall happened").isZero();
            boolean frozen = phase == Phase.FROZEN_PASS;
            assertCleanFailure(run, why, frozen, false);
            assertThat(run.failure).as(why).hasMessageContaining(switch (phase) {
                case PASS1 -> "pass 1 could not send to the destination (the receiver took no data for PT0.8S";
                case SYNC -> "did not acknowledge the sync before the freeze (the receiver sent no answer for PT0.8S";
                default -> "pass 4 could not send to the destination (the receiver took no data for PT0.8S";
            });
            assertThat(run.failure).as(why).hasMessageContaining("it is stalled");
            System.out.println(why + " -> after " + run.nanos / 1_000_000 + " ms: " + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }

    /**
     * The same cut with writer threads that keep writing throughout (random 4 KiB writes, the file
     * grows) and a freeze step that blocks them: the stream differs from run to run, so the cut is at a
     * seeded fraction of the clean stream's length, and the source-unchanged check does not apply
     * (the writers change it); everything else must hold, whichever step notices the cut.
     */
    @ParameterizedTest(name = "{0} with live writers, seed {1}")
    @MethodSource("liveCuts")
    void aCutWhileWritersRaceTheCopyStillThawsOnceAndStopsTheTracker(Protocol p, long seed) throws Exception {
        long total = clean(p).map().total();
        long at = (long) (total * new java.util.SplittableRandom(seed).nextDouble(0.05, 0.95));
        try (LiveWriters live = new LiveWriters(dir, 16L << 20, 6L << 20, 2, 200_000, seed)) {
            live.start();
            FaultRig rig = new FaultRig(dir, p, seed);
            rig.live = live;
            rig.target = dir.resolve("live-target.hdd");
            rig.fault = new Fault(Kind.CUT, rig.dataConnection(), at);
            Run run = rig.run();
            String why = p + " live cut at stream byte " + at + " (seed " + seed + ")";
            live.requireNoWriterFailure();
            if (run.proxy.fired.getCount() != 0) {
                // The writers made this run's stream shorter than the cut point: it must have succeeded.
                assertThat(run.failure).as(why + ": no cut, no failure").isNull();
                return;
            }
            assertThat(run.failure).as(why).isInstanceOf(LiveCopyException.class);
            int freezes = live.freeze.freezes.get();
            assertThat(freezes).as(why + ": freeze calls").isBetween(0, 1);
            assertThat(live.freeze.thaws).as(why + ": thaw calls").hasValue(freezes);
            assertThat(run.tracker.get().isRunning()).as(why + ": tracker stopped").isFalse();
            WriteTracker.start(live.image).stopForce();
            assertThat(live.writes.get()).as(why + ": the writers ran").isPositive();
            receiverFailure(run);
            assertThat(run.target).as(why + ": partial file removed").doesNotExist();
            System.out.println(why + " -> " + run.failure.getMessage());
        }
    }

    static Stream<Arguments> liveCuts() {
        return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Arguments.of(p, 501L), Arguments.of(p, 502L),
                Arguments.of(p, 503L)));
    }

    /**
     * The feedback direction breaks while an answer is on its way. The sync ack lost: nothing was
     * frozen, the receiver (its connection gone) drops the file. The last answer lost (jvz DONE, the
     * legacy finish's sync ack): the sender fails and thaws; for jvz the receiver has already kept a
     * complete, verified copy, which the caller must remove (the migration's undo), since the sender
     * cannot know.
     */
    @ParameterizedTest(name = "{0}, answer {1} lost")
    @MethodSource("lostAnswers")
    void aLostAnswerFailsTheSender(Protocol p, int answer) throws Exception {
        FaultRig rig = new FaultRig(dir, p, 42);
        // Feedback bytes before the answer: jvz HELLO_ACK (32 + 24), then SYNC_ACK (32), then DONE;
        // legacy (on its own connection): SUCCESS\n for the pre-freeze sync, then for finish()'s sync.
        long before = p == Protocol.JVZ ? (answer == 1 ? 56 : 56 + 32) : (answer == 1 ? 0 : 8);
        rig.fault = new Fault(Kind.CUT_BACK, rig.dataConnection(), before + 3);
        Run run = rig.run();
        String why = p + " answer " + answer + " lost";
        try {
            assertThat(run.proxy.fired.getCount()).as(why + ": the cut happened").isZero();
            if (answer == 1) {
                assertCleanFailure(run, why, false, false);
                assertThat(run.failure).hasMessageContaining("did not acknowledge the sync before the freeze");
            } else if (p == Protocol.LEGACY) {
                assertCleanFailure(run, why, true, false);
                assertThat(run.failure).hasMessageContaining("the destination failed to finish the copy");
            } else {
                assertThat(run.failure).isInstanceOf(LiveCopyException.class)
                        .hasMessageContaining("the destination failed to finish the copy");
                assertThat(run.freeze.thaws).hasValue(1);
                assertThat(run.tracker.get().isRunning()).isFalse();
                assertThat(run.receiver.get(10, TimeUnit.SECONDS).protocol()).as("the receiver finished").isEqualTo("jvz");
                assertThat(Files.readAllBytes(run.target)).as("and kept a complete copy")
                        .isEqualTo(withCleanHeader(run.expectedSource));
            }
            System.out.println(why + " -> " + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }

    static Stream<Arguments> lostAnswers() {
        return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Arguments.of(p, 1), Arguments.of(p, 2)));
    }

    /**
     * The receiver's target already exists (a leftover of an earlier attempt): it refuses in the
     * sender's protocol, so a jvz sender says why instead of taking it for a legacy receiver, falling
     * back and failing with a bare "Broken pipe"; nothing is tracked, sent or frozen, and the existing
     * file is left alone.
     */
    @ParameterizedTest
    @EnumSource(Protocol.class)
    void anExistingTargetIsRefusedAndTheSenderSaysWhy(Protocol p) throws Exception {
        FaultRig rig = new FaultRig(dir, p, 42);
        Files.write(rig.target, new byte[] {7});
        Run run = rig.run();
        try {
            if (p == Protocol.JVZ) {
                assertThat(run.failure).isInstanceOf(RemoteFailureException.class)
                        .hasMessageContaining("the receiver refused the copy")
                        .hasMessageContaining("the copy target exists");
                assertThat(run.tracker.get()).as("nothing started").isNull();
            } else {
                // Legacy can only say FAILURE; the copy stops in pass 1.
                assertThat(run.failure).isInstanceOf(LiveCopyException.class)
                        .hasMessageContaining("the receiver reported FAILURE");
                assertThat(run.tracker.get().isRunning()).isFalse();
            }
            assertThat(run.freeze.freezes).hasValue(0);
            assertThat(receiverFailure(run)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
            assertThat(Files.readAllBytes(rig.target)).as("the existing file is left alone").containsExactly(7);
            System.out.println(p + " existing target -> " + run.failure.getMessage());
        } finally {
            run.image.close();
        }
    }

    // ---- what every failure must leave behind ----------------------------------------------------

    static Throwable receiverFailure(Run run) throws Exception {
        try {
            Receiver.Result r = run.receiver.get(10, TimeUnit.SECONDS);
            throw new AssertionError("the receiver succeeded: " + r);
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static void assertCleanFailure(Run run, String why, boolean frozen, boolean keep) throws Exception {
        assertThat(run.failure).as(why + ": the sender fails").isInstanceOf(LiveCopyException.class);
        assertThat(run.freeze.freezes).as(why + ": freeze calls").hasValue(frozen ? 1 : 0);
        assertThat(run.freeze.thaws).as(why + ": thaw calls").hasValue(frozen ? 1 : 0);
        WriteTracker t = run.tracker.get();
        assertThat(t.isRunning()).as(why + ": the tracker is stopped").isFalse();
        WriteTracker.start(run.image).stopForce(); // and a new one can start
        assertThat(Files.readAllBytes(run.source)).as(why + ": the copy did not change the source")
                .isEqualTo(run.expectedSource);
        // The image still works.
        byte[] data = new byte[4096];
        new Random(1).nextBytes(data);
        run.image.write(20L << 20, ByteBuffer.wrap(data));
        ByteBuffer back = ByteBuffer.allocate(4096);
        run.image.read(20L << 20, back);
        assertThat(back.array()).as(why + ": write+read after the failure").isEqualTo(data);
        receiverFailure(run);
        if (keep) {
            assertThat(run.target).as(why + ": the partial file is kept").exists();
        } else {
            assertThat(run.target).as(why + ": the partial file is removed").doesNotExist();
        }
    }
}
