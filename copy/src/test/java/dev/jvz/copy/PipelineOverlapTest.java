package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reading and sending overlap: with a source that takes T per read and a sink that takes T per write,
 * N blocks cost about (N + 1) T, not 2 N T. Sleeps stand for I/O, so the bound holds on a busy
 * machine too (sleeping needs no CPU); the bound is loose (0.8 of the serial sum) to stay stable.
 */
class PipelineOverlapTest {
    private static final int BLOCKS = 30;
    private static final int BLOCK = 4096;
    private static final long T = 10_000_000; // 10 ms

    @Test
    @Timeout(30)
    void aBlockCostsTheSlowerSideNotTheSum() throws Exception {
        MemorySource src = new MemorySource(BLOCKS * BLOCK);
        src.sleepNanosPerRead = T;
        TestSink sink = TestSink.counting();
        sink.sleepNanosPerWrite = T;
        ScriptedDirty feed = new ScriptedDirty(BLOCKS * BLOCK, k -> List.of());
        long t0 = System.nanoTime();
        CopyReport r = LiveCopy.builder("slow", sink, () -> feed, () -> src).blockBytes(BLOCK).build().run();
        long elapsed = System.nanoTime() - t0;
        long serial = src.reads.get() * T + sink.count(TestSink.Call.WRITE) * T;
        assertThat(r.passes().getFirst().bytes()).isEqualTo((long) BLOCKS * BLOCK);
        assertThat(sink.count(TestSink.Call.WRITE)).as("one write a block, plus the header").isEqualTo(BLOCKS + 1);
        assertThat(elapsed).as("elapsed %d ms vs serial %d ms", elapsed / 1_000_000, serial / 1_000_000)
                .isLessThan((long) (0.8 * serial));
        assertThat(src.closed).isTrue();
    }

    @Test
    @Timeout(30)
    void aSinkFailureStopsTheReaderThatRunsAhead() throws Exception {
        MemorySource src = new MemorySource(BLOCKS * BLOCK);
        TestSink sink = TestSink.counting().failAt(TestSink.Call.WRITE, 2);
        sink.sleepNanosPerWrite = T;
        ScriptedDirty feed = new ScriptedDirty(BLOCKS * BLOCK, k -> List.of());
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                () -> LiveCopy.builder("slow", sink, () -> feed, () -> src).blockBytes(BLOCK).build().run());
        assertThat(t).isInstanceOf(LiveCopyException.class).hasCauseInstanceOf(TestSink.InjectedFailure.class);
        // The reader filled at most the blocks in flight, then stopped: it did not read the whole file.
        assertThat(src.reads.get()).isLessThanOrEqualTo(2 + PassPipeline.DEPTH + 1);
        assertThat(src.closed).isTrue();
        assertThat(feed.isRunning()).isFalse();
    }

    @Test
    @Timeout(30)
    void aReadFailureStopsTheSenderWithTheReadErrorAsCause() throws Exception {
        MemorySource src = new MemorySource(BLOCKS * BLOCK);
        src.failAtRead = 4;
        TestSink sink = TestSink.counting();
        sink.sleepNanosPerWrite = T;
        ScriptedDirty feed = new ScriptedDirty(BLOCKS * BLOCK, k -> List.of());
        Throwable t = org.assertj.core.api.Assertions.catchThrowable(
                () -> LiveCopy.builder("slow", sink, () -> feed, () -> src).blockBytes(BLOCK).build().run());
        assertThat(t).isInstanceOf(LiveCopyException.class).hasMessageContaining("could not read the source")
                .hasMessageContaining("injected read failure at read #4");
        assertThat(sink.count(TestSink.Call.WRITE)).as("blocks read before the failure are still sent, no more")
                .isLessThanOrEqualTo(3);
        assertThat(feed.isRunning()).isFalse();
    }
}
