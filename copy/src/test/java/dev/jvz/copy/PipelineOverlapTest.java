package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Reading and sending overlap: while the sink is still busy with block n, the reader already reads
 * block n + 1. Proven by order, not by wall time: the sink holds each write open until it sees the
 * next read start (or gives up after a bound that only a serial pipeline would ever reach).
 */
class PipelineOverlapTest {
    private static final int BLOCKS = 30;
    private static final int BLOCK = 4096;
    private static final long T = 10_000_000; // 10 ms: keeps the reader busy in the failure tests

    @Test
    @Timeout(60)
    void theNextBlockIsReadWhileThePreviousOneIsBeingSent() throws Exception {
        MemorySource src = new MemorySource(BLOCKS * BLOCK);
        TestSink sink = TestSink.counting();
        int[] dataWrites = {0};
        int[] overlapped = {0};
        sink.onWrite = n -> {
            int k = ++dataWrites[0]; // write k sends block k (read #k); the header comes last
            if (k >= BLOCKS) {
                return;
            }
            // Block k is being sent now. A pipelined reader starts read #k+1 meanwhile; a serial one
            // would wait for this write to return, so the wait below would run out.
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (src.reads.get() < k + 1 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
                Thread.yield();
            }
            if (src.reads.get() >= k + 1) {
                overlapped[0]++;
            }
        };
        ScriptedDirty feed = new ScriptedDirty(BLOCKS * BLOCK, k -> List.of());
        CopyReport r = LiveCopy.builder("slow", sink, () -> feed, () -> src).blockBytes(BLOCK).build().run();
        assertThat(r.passes().getFirst().bytes()).isEqualTo((long) BLOCKS * BLOCK);
        assertThat(sink.count(TestSink.Call.WRITE)).as("one write a block, plus the header").isEqualTo(BLOCKS + 1);
        assertThat(overlapped[0]).as("every block but the last was sent while the next one was read")
                .isEqualTo(BLOCKS - 1);
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
