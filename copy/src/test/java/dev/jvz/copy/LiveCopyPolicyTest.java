package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.copy.CopyReport.Pass;
import dev.jvz.copy.CopyReport.Phase;
import dev.jvz.copy.CopyReport.StopReason;
import dev.jvz.image.WriteTracker.Extent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;

/**
 * The pass loop with a scripted tracker feed and a fake clock that advances with every byte sent (a
 * sink of fixed bandwidth): which passes run, in which phase, and why the iteration stops.
 */
class LiveCopyPolicyTest {
    private static final int FILE = 1 << 20;
    private static final int BLOCK = 64 << 10;
    /** Fake bandwidth: 100 MB/s, i.e. 10 ns a byte. */
    private static final long NANOS_PER_BYTE = 10;

    private final AtomicLong now = new AtomicLong();
    private final TestSink sink = TestSink.counting();
    private final TestFreeze freeze = new TestFreeze();

    /** {@code n} extents of 4 KiB spread over the file's data area. */
    private static List<Extent> dirty(int n) {
        List<Extent> l = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            l.add(new Extent(65536 + i * 8192L, 4096));
        }
        return l;
    }

    private LiveCopy copy(ScriptedDirty feed, Duration maxDowntime) {
        sink.onWrite = n -> now.addAndGet(n * NANOS_PER_BYTE);
        freeze.onFreeze = () -> feed.frozen = true;
        return LiveCopy.builder("scripted", sink, () -> feed, () -> new MemorySource(FILE))
                .blockBytes(BLOCK)
                .clock(now::get)
                .freezeStep(freeze)
                .maxDowntime(maxDowntime)
                .build();
    }

    private static List<Phase> phases(CopyReport r) {
        return r.passes().stream().map(Pass::phase).toList();
    }

    @Test
    void shrinkingDirtySetsConverge() throws Exception {
        // Pass 2 re-sends 8 extents, pass 3 four, pass 4 two, then nothing is dirty.
        IntFunction<List<Extent>> script = k -> dirty(k < 3 ? 8 >> k : 0);
        ScriptedDirty feed = new ScriptedDirty(FILE, script);
        CopyReport r = copy(feed, null).run();
        assertThat(r.stopReason()).isEqualTo(StopReason.CONVERGED);
        assertThat(r.passes()).extracting(Pass::bytes)
                .containsExactly((long) FILE, 8 * 4096L, 4 * 4096L, 2 * 4096L, 0L, 0L);
        assertThat(phases(r)).containsExactly(Phase.LIVE, Phase.LIVE, Phase.LIVE, Phase.LIVE, Phase.PRE_FREEZE,
                Phase.FROZEN);
        assertThat(r.passes().get(1).dirtyBytesAtEnd()).isEqualTo(4 * 4096L);
        assertThat(r.passes().get(3).dirtyBytesAtEnd()).isZero();
        assertThat(r.bytesSent()).isEqualTo(FILE + 14 * 4096L);
        assertThat(r.frozen().finalBytes()).as("only the clean header sector").isEqualTo(512);
        assertThat(freeze.freezes).hasValue(1);
        assertThat(freeze.thaws).hasValue(1);
        assertThat(feed.isRunning()).isFalse();
        // Fake bandwidth: 100 MB/s in every pass that sent something.
        assertThat(r.passes().get(0).bandwidth()).isEqualTo(1e8);
        assertThat(r.passes().get(0).nanos()).isEqualTo(FILE * NANOS_PER_BYTE);
        assertThat(sink.calls).endsWith(TestSink.Call.SYNC, TestSink.Call.WRITE, TestSink.Call.FINISH);
    }

    @Test
    void aSteadyDirtyRateStopsAfterTenDirtyPasses() throws Exception {
        ScriptedDirty feed = new ScriptedDirty(FILE, k -> dirty(4));
        CopyReport r = copy(feed, null).run();
        assertThat(r.stopReason()).isEqualTo(StopReason.TOO_MANY_PASSES);
        long live = phases(r).stream().filter(p -> p == Phase.LIVE).count();
        assertThat(live).as("pass 1 + " + PassPolicy.MAX_DIRTY_PASSES + " dirty passes")
                .isEqualTo(1 + PassPolicy.MAX_DIRTY_PASSES);
        // The pre-freeze pass still sends what was dirty; frozen, the feed stops dirtying: one final pass.
        assertThat(r.passes().get((int) live).bytes()).isEqualTo(4 * 4096L);
        assertThat(phases(r).subList((int) live + 1, r.passes().size())).containsExactly(Phase.FROZEN);
        assertThat(r.passes().getLast().bytes()).isEqualTo(4 * 4096L);
        assertThat(freeze.thaws).hasValue(1);
    }

    @Test
    void resendingMoreThanTheFileStopsEarly() throws Exception {
        // Every pass re-sends 12 blocks of 64 KiB = 768 KiB: after the second the total passes 1 MiB.
        IntFunction<List<Extent>> script = k -> {
            List<Extent> l = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                l.add(new Extent(65536L * (i + 1), 65536));
            }
            return l;
        };
        CopyReport r = copy(new ScriptedDirty(FILE, script), null).run();
        assertThat(r.stopReason()).isEqualTo(StopReason.RESENT_MORE_THAN_FILE);
        assertThat(phases(r).stream().filter(p -> p == Phase.LIVE).count()).isEqualTo(3);
    }

    @Test
    void maxDowntimeStopsWhenThePredictedFinalPassFits() throws Exception {
        // Dirty halves every pass: 64, 32, 16, ... extents of 4 KiB. At 100 MB/s, 4 KiB takes 40.96 us;
        // a 0.7 ms budget fits 17 extents: the first pass that leaves 16 dirty stops.
        IntFunction<List<Extent>> script = k -> dirty(Math.max(1, 64 >> k));
        CopyReport r = copy(new ScriptedDirty(FILE, script), Duration.ofNanos(700_000)).run();
        assertThat(r.stopReason()).isEqualTo(StopReason.FITS_DOWNTIME);
        List<Pass> live = r.passes().stream().filter(p -> p.phase() == Phase.LIVE).toList();
        assertThat(live.getLast().dirtyBytesAtEnd()).isEqualTo(16 * 4096L);
        assertThat(live).hasSize(3); // pass 1 (leaves 64 dirty), 2 (leaves 32), 3 (leaves 16)
        // Without a budget the same feed goes on to the pass limit.
        TestFreeze f2 = new TestFreeze();
        ScriptedDirty feed2 = new ScriptedDirty(FILE, script);
        f2.onFreeze = () -> feed2.frozen = true;
        CopyReport r2 = LiveCopy.builder("scripted", TestSink.counting(), () -> feed2, () -> new MemorySource(FILE))
                .blockBytes(BLOCK).freezeStep(f2).build().run();
        assertThat(r2.stopReason()).isEqualTo(StopReason.TOO_MANY_PASSES);
    }

    @Test
    void writersThatTheFreezeDoesNotStopAbortTheCopyAfterTwoFrozenWraps() {
        ScriptedDirty feed = new ScriptedDirty(FILE, k -> dirty(2));
        LiveCopy c = copy(feed, null);
        freeze.onFreeze = () -> { }; // the feed keeps dirtying while "frozen"
        assertThatThrownBy(c::run).isInstanceOf(LiveCopyException.class)
                .hasMessageContaining("still being written while frozen")
                .hasMessageContaining("3 wrap-arounds");
        assertThat(freeze.thaws).hasValue(1);
        assertThat(feed.isRunning()).isFalse();
        assertThat(sink.count(TestSink.Call.FINISH)).isZero();
    }

    @Test
    void reportCarriesDirtyRateFromTheFakeClock() throws Exception {
        ScriptedDirty feed = new ScriptedDirty(FILE, k -> dirty(k < 1 ? 4 : 0));
        CopyReport r = copy(feed, null).run();
        Pass p1 = r.passes().getFirst();
        // 1 MiB at 10 ns/byte = 10.48576 ms, leaving 4 extents (16 KiB) dirty.
        assertThat(p1.dirtyBytesAtEnd()).isEqualTo(4 * 4096L);
        assertThat(p1.dirtyRate()).isCloseTo(4 * 4096 / (FILE * NANOS_PER_BYTE / 1e9), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(r.frozen().totalNanos()).isEqualTo(r.frozen().freezeNanos() + r.frozen().finalPassNanos()
                + r.frozen().syncNanos() + r.frozen().thawNanos());
        assertThat(r.frozen().finalPassNanos()).as("the header sector at 10 ns/byte").isEqualTo(512 * NANOS_PER_BYTE);
    }

    @Test
    void aDirtyPassSendsTheTailOnlyAsFarAsTheFileReachedWhenThePassStarted() throws Exception {
        // A writer allocates 128 KiB of new clusters for every 64 KiB block sent: faster than we send.
        ScriptedDirty feed = new ScriptedDirty(FILE, k -> List.of());
        feed.growPerSetTrackEnd = 128 << 10;
        feed.maxFile = 8 * FILE;
        sink.onWrite = n -> now.addAndGet(n * NANOS_PER_BYTE);
        freeze.onFreeze = () -> feed.frozen = true;
        CopyReport r = LiveCopy.builder("growing", sink, () -> feed, () -> new MemorySource(8 * FILE))
                .blockBytes(BLOCK).clock(now::get).freezeStep(freeze).build().run();
        // Pass 1: 1 MiB in 16 blocks, meanwhile the file grew by 2 MiB: pass 2 sends exactly that tail.
        assertThat(r.passes().get(0).bytes()).isEqualTo(FILE);
        assertThat(r.passes().get(1).bytes()).isEqualTo(2L * FILE);
        // Pass 3 sends the 4 MiB grown during pass 2, pass 4 the last 1 MiB up to the 8 MiB cap; then
        // the file stops growing and nothing is dirty.
        assertThat(r.passes()).extracting(Pass::bytes).startsWith((long) FILE, 2L * FILE, 4L * FILE, (long) FILE);
        assertThat(r.stopReason()).isEqualTo(StopReason.CONVERGED);
        assertThat(r.fileSize()).isEqualTo(8L * FILE).isEqualTo(r.bytesSent());
    }
}
