package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.copy.CopyReport.Pass;
import dev.jvz.copy.CopyReport.Phase;
import dev.jvz.image.Image;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import dev.jvz.image.WriteTracker;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The end-to-end promise: a copy of an image that other threads keep writing equals the source file
 * byte for byte at the moment of the freeze, except that the copy's header is clean.
 */
class LiveCopyWritersTest {
    @TempDir
    Path dir;

    /** Runs a copy of a live image into {@code copy}; returns the report (the writers are stopped after). */
    static CopyReport copyLive(Path dir, Path copy, long seed, int granularity, Duration maxDowntime) throws Exception {
        try (LiveWriters live = new LiveWriters(dir, 16L << 20, 3L << 20, 2, 300_000, seed);
                TestSink sink = TestSink.toFile(copy)) {
            // A sink slower than the disk, so the writers really race the passes.
            sink.sleepNanosPerWrite = 150_000;
            live.start();
            while (live.writes.get() < 20) {
                Thread.sleep(1);
            }
            WriteTracker[] tracker = new WriteTracker[1];
            CopyReport r = LiveCopy.builder(live.image.topPath().toString(), sink,
                            () -> DirtySource.of(tracker[0] = WriteTracker.start(live.image, granularity)),
                            () -> FileSource.open(live.source))
                    .granularity(granularity)
                    .blockBytes(64 << 10)
                    .maxDowntime(maxDowntime)
                    .freezeStep(live.freezeStep())
                    .preFreezeSync(() -> {
                        try {
                            live.image.flush();
                        } catch (java.io.IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .build()
                    .run();
            live.requireNoWriterFailure();
            assertThat(tracker[0].isRunning()).isFalse();
            assertThat(live.freeze.freezes).hasValue(1);
            assertThat(live.freeze.thaws).hasValue(1);
            assertThat(sink.count(TestSink.Call.FINISH)).isOne();
            byte[] frozen = live.frozenSource;
            byte[] got = Files.readAllBytes(copy);
            String why = "seed " + seed + ", granule " + granularity + ", " + r.passes().size() + " passes";
            assertThat(got.length).as(why + ": copy size").isEqualTo(frozen.length);
            PloopHeader src = PloopHeader.decode(ByteBuffer.wrap(frozen), "source");
            PloopHeader dst = PloopHeader.decode(ByteBuffer.wrap(got), "copy");
            assertThat(src.isInUse()).as("the source is open").isTrue();
            assertThat(dst.isInUse()).as(why + ": the copy is clean").isFalse();
            assertThat(dst).isEqualTo(src.withInUse(PloopFormat.INUSE_CLOSED));
            // The clean header is the only difference.
            byte[] patched = frozen.clone();
            dst.encode().get(patched, 0, PloopFormat.HEADER_SIZE);
            assertThat(Arrays.mismatch(patched, got)).as(why + ": first differing byte").isEqualTo(-1);
            // The writers raced the copy: some dirty pass re-sent data, and the file grew meanwhile.
            assertThat(r.passes().stream().filter(p -> p.number() > 1).mapToLong(Pass::bytes).sum())
                    .as(why + ": bytes re-sent").isPositive();
            assertThat(r.fileSize()).isEqualTo(frozen.length);
            assertThat(r.passes().getLast().phase()).isEqualTo(Phase.FROZEN);
            return r;
        }
    }

    @ParameterizedTest(name = "seed {0}, granule {1}")
    @CsvSource({"1, 4096", "2, 512", "3, 32768"})
    @Timeout(60)
    void copyOfAnImageBeingWrittenEqualsTheSourceAtTheFreeze(long seed, int granule) throws Exception {
        Path copy = dir.resolve("copy.hdd");
        CopyReport r = copyLive(dir, copy, seed, granule, null);
        try (Image c = Image.open(copy, false)) {
            assertThat(c.topHeader().isInUse()).isFalse();
        }
    }

    @ParameterizedTest(name = "seed {0}")
    @CsvSource({"4", "5"})
    @Timeout(60)
    void withAMaxDowntimeTheCopyIsStillExact(long seed) throws Exception {
        CopyReport r = copyLive(dir, dir.resolve("copy.hdd"), seed, 4096, Duration.ofMillis(20));
        assertThat(r.stopReason()).isIn(CopyReport.StopReason.FITS_DOWNTIME, CopyReport.StopReason.CONVERGED,
                CopyReport.StopReason.TOO_MANY_PASSES, CopyReport.StopReason.RESENT_MORE_THAN_FILE);
    }
}
