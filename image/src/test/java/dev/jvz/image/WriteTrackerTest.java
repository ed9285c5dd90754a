package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.WriteTracker.Extent;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tracker's semantics, one notification at a time. Most tests feed {@link WriteTracker#written}
 * directly (nothing else writes the freshly opened image), so each expectation is exact; the last ones
 * go through real image writes.
 */
class WriteTrackerTest {
    /** 64 sectors: the smallest cluster, 32 KiB = 8 granules of 4 KiB. */
    private static final int CLUSTER_SECTORS = 64;
    private static final long CB = CLUSTER_SECTORS * 512L;
    private static final int G = 4096;

    @TempDir
    Path dir;
    private Image image;
    /** The file size of a fresh image: one header cluster. */
    private long size0;

    @BeforeEach
    void createImage() throws Exception {
        Path p = dir.resolve("root.hdd");
        Image.create(p, new CreateOptions(CB * 16, CLUSTER_SECTORS, 2));
        image = Image.open(p, true);
        size0 = image.topDelta().fileSize();
        assertThat(size0).isEqualTo(CB);
    }

    @AfterEach
    void closeImage() throws Exception {
        image.close();
    }

    /** A tracker whose linear pass is done: track end at the file end, nothing dirty. */
    private WriteTracker startedAndCaughtUp() throws Exception {
        WriteTracker t = WriteTracker.start(image, G);
        t.setTrackEnd(size0);
        assertThat(t.dirtyBytes()).isZero();
        return t;
    }

    private static Extent ext(long off, long len) {
        return new Extent(off, len);
    }

    private static List<Extent> all(WriteTracker t) throws Exception {
        List<Extent> out = new ArrayList<>();
        for (Optional<Extent> e = t.nextDirty(); e.isPresent(); e = t.nextDirty()) {
            out.add(e.get());
        }
        return out;
    }

    @Test
    void freshTrackerReportsTheWholeFileAsTailAndMovesTrackEndPastIt() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            assertThat(t.trackEnd()).isZero();
            assertThat(t.fileSize()).isEqualTo(size0);
            assertThat(t.dirtyBytes()).isEqualTo(size0);
            assertThat(t.nextDirty()).contains(ext(0, size0));
            assertThat(t.trackEnd()).isEqualTo(size0);
            assertThat(t.nextDirty()).isEmpty();
            t.stop();
            assertThat(t.isRunning()).isFalse();
        }
    }

    @Test
    void tailIsCutIntoPiecesOfAtMostMaxBytes() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            assertThat(t.nextDirty(3 * G + 100)).contains(ext(0, 3 * G));
            assertThat(t.trackEnd()).isEqualTo(3 * G);
            assertThat(t.nextDirty(CB)).contains(ext(3 * G, CB - 3 * G));
            assertThat(t.nextDirty(CB)).isEmpty();
        }
    }

    @Test
    void writesAtOrPastTrackEndAreNotRecorded() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            t.setTrackEnd(2 * G);
            t.written(2 * G, 10);
            t.written(5 * G + 7, G);
            // Only the unsent tail: the linear pass will read those bytes anyway.
            assertThat(all(t)).containsExactly(ext(2 * G, size0 - 2 * G));
        }
    }

    @Test
    void writeBelowTrackEndIsRecordedRoundedOutwardToGranules() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(G - 1, 2); // one byte in granule 0, one in granule 1
            assertThat(t.dirtyBytes()).isEqualTo(2 * G);
            assertThat(all(t)).containsExactly(ext(0, 2 * G));
        }
    }

    @Test
    void writeCrossingTrackEndRecordsOnlyTheGranulesBelowIt() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            t.setTrackEnd(2 * G);
            t.written(G + 5, 3 * G); // granules 1..4; 1 is below the track end
            assertThat(t.nextDirty()).contains(ext(G, G));
            assertThat(t.nextDirty()).contains(ext(2 * G, size0 - 2 * G));
            assertThat(t.nextDirty()).isEmpty();
        }
    }

    @Test
    void unalignedTrackEndRecordsTheWholeGranuleThatHoldsIt() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            t.setTrackEnd(G + 100);
            t.written(G + 50, 500);
            // Granule 1 is recorded whole; the tail starts at the track end. Overlap is a harmless resend.
            assertThat(all(t)).containsExactly(ext(G, G), ext(G + 100, size0 - G - 100));
        }
    }

    @Test
    void fileGrowthPastTrackEndIsReportedAsTail() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(size0, CB); // an allocation appends a cluster
            assertThat(t.fileSize()).isEqualTo(size0 + CB);
            assertThat(t.dirtyBytes()).isEqualTo(CB);
            assertThat(t.nextDirty()).contains(ext(size0, CB));
            assertThat(t.trackEnd()).isEqualTo(size0 + CB);
            // Now below the track end: a rewrite of the new cluster is recorded like any other.
            t.written(size0 + G, 1);
            assertThat(all(t)).containsExactly(ext(size0 + G, G));
        }
    }

    @Test
    void readingAnExtentRemovesIt() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(3 * G, G);
            assertThat(t.nextDirty()).contains(ext(3 * G, G));
            assertThat(t.dirtyBytes()).isZero();
            assertThat(t.nextDirty()).isEmpty();
            t.written(3 * G, G); // written again after it was read: dirty again
            assertThat(t.nextDirty()).contains(ext(3 * G, G));
        }
    }

    @Test
    void adjacentGranulesMergeIntoOneExtentWhateverTheWriteOrder() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(0, G);
            t.written(2 * G, G);
            t.written(G, G);
            t.written(5 * G, 10);
            assertThat(all(t)).containsExactly(ext(0, 3 * G), ext(5 * G, G));
        }
    }

    @Test
    void maxBytesCapsARunAndLeavesTheRestDirty() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(0, 5 * G);
            assertThat(t.nextDirty(2 * G)).contains(ext(0, 2 * G));
            assertThat(t.dirtyBytes()).isEqualTo(3 * G);
            assertThat(t.nextDirty(2 * G + 1)).contains(ext(2 * G, 2 * G));
            assertThat(t.nextDirty(2 * G)).contains(ext(4 * G, G));
            assertThatThrownBy(() -> t.nextDirty(G - 1)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void cursorContinuesAfterTheLastExtentAndWrapsToTheStart() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(5 * G, 1);
            assertThat(t.nextDirty()).contains(ext(5 * G, G));
            t.written(G, 1);
            t.written(7 * G, 1);
            assertThat(t.nextDirty()).contains(ext(7 * G, G)); // ahead of the cursor first
            assertThat(t.wraps()).isZero();
            assertThat(t.nextDirty()).contains(ext(G, G)); // then from the start: a new pass
            assertThat(t.wraps()).isEqualTo(1);
            assertThat(t.nextDirty()).isEmpty();
        }
    }

    @Test
    void unsentTailComesBeforeWrappingToTheStart() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(6 * G, 1);
            assertThat(t.nextDirty()).contains(ext(6 * G, G));
            t.written(G, 1);
            t.written(size0, CB);
            assertThat(t.nextDirty()).contains(ext(size0, CB));
            assertThat(t.nextDirty()).contains(ext(G, G));
            assertThat(t.wraps()).isEqualTo(1);
        }
    }

    @Test
    void drainReturnsSortedMergedExtentsOfOnePassWithinTheBudget() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(2 * G, 2 * G);
            t.written(6 * G, 1);
            t.written(size0, CB); // growth: the tail [size0, size0 + CB)
            t.written(7 * G, G); // adjacent to granule 6, and the tail is adjacent to granule 7
            assertThat(t.drain(Long.MAX_VALUE)).containsExactly(ext(2 * G, 2 * G), ext(6 * G, 2 * G + CB));
            t.written(G, 1);
            t.written(3 * G, 2 * G);
            assertThat(t.drain(2 * G + 10)).containsExactly(ext(G, G), ext(3 * G, G));
            assertThat(t.drain(G)).containsExactly(ext(4 * G, G));
            assertThat(t.drain(G)).isEmpty();
        }
    }

    @Test
    void drainDoesNotCrossIntoTheNextPass() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            t.written(4 * G, 1);
            assertThat(t.nextDirty()).contains(ext(4 * G, G));
            t.written(G, 1);
            t.written(6 * G, 1);
            assertThat(t.drain(Long.MAX_VALUE)).containsExactly(ext(6 * G, G));
            assertThat(t.drain(Long.MAX_VALUE)).containsExactly(ext(G, G));
        }
    }

    @Test
    void stopFailsWhileExtentsAreUnreadAndKeepsTracking() throws Exception {
        WriteTracker t = startedAndCaughtUp();
        t.written(G, 1);
        assertThatThrownBy(t::stop)
                .isInstanceOf(WriteTrackerException.class)
                .hasMessageContaining("still dirty")
                .hasMessageContaining("nextDirty()")
                .hasMessageContaining("stopForce()");
        assertThat(t.isRunning()).isTrue();
        t.written(3 * G, 1);
        assertThat(all(t)).containsExactly(ext(G, G), ext(3 * G, G));
        t.stop();
        t.written(G, 1); // after stop: ignored
        assertThat(t.dirtyBytes()).isZero();
    }

    @Test
    void stopFailsWhileTheTailIsUnsent() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            t.setTrackEnd(G);
            assertThatThrownBy(t::stop).isInstanceOf(WriteTrackerException.class).hasMessageContaining("unsent");
        }
    }

    @Test
    void onlyOneTrackerPerImageUntilTheFirstStops() throws Exception {
        WriteTracker first = WriteTracker.start(image, G);
        assertThatThrownBy(() -> WriteTracker.start(image, G))
                .isInstanceOf(WriteTrackerException.class)
                .hasMessageContaining("already");
        first.stopForce();
        assertThat(first.isRunning()).isFalse();
        try (WriteTracker second = WriteTracker.start(image, G)) {
            assertThat(second.isRunning()).isTrue();
        }
    }

    @Test
    void stopForceDropsWhatIsDirtyAndDetaches() throws Exception {
        WriteTracker t = startedAndCaughtUp();
        t.written(G, 1);
        t.stopForce();
        t.stopForce(); // idempotent
        assertThat(t.dirtyBytes()).isZero();
        image.write(0, ByteBuffer.wrap(new byte[] {1}));
        assertThat(t.dirtyBytes()).isZero();
    }

    @Test
    void granularityMustBeAPowerOfTwoFromASectorToTheCluster() throws Exception {
        for (int bad : new int[] {0, 256, 3000, 4097, (int) CB * 2}) {
            assertThatThrownBy(() -> WriteTracker.start(image, bad))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("power of two");
        }
        try (WriteTracker t = WriteTracker.start(image, 512)) {
            assertThat(t.granularity()).isEqualTo(512);
        }
        try (WriteTracker t = WriteTracker.start(image, (int) CB)) {
            assertThat(t.granularity()).isEqualTo((int) CB);
        }
    }

    @Test
    void sectorGranularityResendsOnlyTheSectorWritten() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, 512)) {
            t.setTrackEnd(size0);
            t.written(600, 30);
            assertThat(all(t)).containsExactly(ext(512, 512));
        }
    }

    @Test
    void trackEndMovesOnlyForwardOrBackToZero() throws Exception {
        try (WriteTracker t = startedAndCaughtUp()) {
            assertThatThrownBy(() -> t.setTrackEnd(size0 - 1))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("only move forward");
            t.written(G, 1);
            t.setTrackEnd(0); // restart: everything is unsent again, recorded extents are moot
            assertThat(t.dirtyBytes()).isEqualTo(size0);
            assertThat(all(t)).containsExactly(ext(0, size0));
        }
    }

    @Test
    void realWritesReportTheDataClusterBatPageAndHeader() throws Exception {
        try (WriteTracker t = WriteTracker.start(image, G)) {
            assertThat(t.nextDirty()).contains(ext(0, size0));
            // A new cluster: appended at the end of the file, so it shows up as tail.
            image.write(3 * CB + 100, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            long fo = image.topDelta().lookup(3);
            assertThat(fo).isEqualTo(size0);
            assertThat(t.fileSize()).isEqualTo(size0 + CB);
            assertThat(t.nextDirty()).contains(ext(size0, CB));
            // An in-place rewrite: one granule. The flush writes the BAT page (and the header: no longer empty).
            image.write(3 * CB + G + 1, ByteBuffer.wrap(new byte[] {4}));
            image.flush();
            assertThat(all(t)).containsExactly(ext(0, G), ext(fo + G, G));
            assertThat(t.dirtyBytes()).isZero();
            t.stop();
        }
    }

    @Test
    void trackerOnAStackWatchesOnlyTheTopFile() throws Exception {
        Path base = dir.resolve("base");
        Path top = dir.resolve("top");
        Image.create(base, new CreateOptions(CB * 4, CLUSTER_SECTORS, 2));
        Image.create(top, new CreateOptions(CB * 4, CLUSTER_SECTORS, 2));
        try (Image b = Image.open(base, true)) {
            b.write(0, ByteBuffer.wrap(new byte[(int) CB]));
        }
        try (Image s = Image.openStack(List.of(base, top), true); WriteTracker t = WriteTracker.start(s, G)) {
            t.setTrackEnd(t.fileSize());
            s.write(10, ByteBuffer.wrap(new byte[] {5})); // copy-up into the top: a new cluster at its end
            assertThat(t.nextDirty()).contains(ext(CB, CB));
            assertThat(t.image()).isSameAs(s);
        }
    }

    @Test
    void leakedTailIsNotSentAndItsReuseIsTracked() throws Exception {
        // A crash left two unreferenced clusters past the last allocated one (PLOOP-FORMAT.md section 1).
        image.write(0, ByteBuffer.wrap(new byte[] {1}));
        image.close();
        Path p = dir.resolve("root.hdd");
        long allocEnd = java.nio.file.Files.size(p);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p, java.nio.file.StandardOpenOption.WRITE)) {
            byte[] junk = new byte[(int) (2 * CB)];
            java.util.Arrays.fill(junk, (byte) 0x5a);
            ch.write(ByteBuffer.wrap(junk), allocEnd);
        }
        image = Image.open(p, true);
        try (WriteTracker t = WriteTracker.start(image, G)) {
            // Like ploop's TRACK_INIT, the copy covers the allocated part only (alloc_head), not the leak.
            assertThat(t.fileSize()).isEqualTo(allocEnd);
            assertThat(t.nextDirty()).contains(ext(0, allocEnd));
            // The next allocation cuts the leak and takes its first cluster: reported as tail.
            image.write(5 * CB, ByteBuffer.wrap(new byte[] {2}));
            assertThat(image.topDelta().fileSize()).isEqualTo(allocEnd + CB);
            assertThat(all(t)).containsExactly(ext(allocEnd, CB));
        }
    }

    @Test
    void twoTrackersStartingAtOnceNeverBothSucceed() throws Exception {
        for (int round = 0; round < 50; round++) {
            java.util.concurrent.CyclicBarrier barrier = new java.util.concurrent.CyclicBarrier(2);
            java.util.concurrent.Callable<WriteTracker> attempt = () -> {
                barrier.await();
                try {
                    return WriteTracker.start(image, G);
                } catch (WriteTrackerException e) {
                    return null;
                }
            };
            try (var pool = java.util.concurrent.Executors.newFixedThreadPool(2)) {
                var a = pool.submit(attempt);
                var b = pool.submit(attempt);
                WriteTracker ta = a.get();
                WriteTracker tb = b.get();
                assertThat(ta == null ^ tb == null).as("round " + round + ": exactly one tracker started").isTrue();
                (ta != null ? ta : tb).stopForce();
            }
        }
    }

    @Test
    void granuleIndexesPastTwoToThe31AreTreatedAsUnsigned() throws Exception {
        // A 3.9 TiB v2 disk (sparse): 1 KiB granules give indexes up to ~4.2e9, past Integer.MAX_VALUE.
        Path big = dir.resolve("big.hdd");
        Image.create(big, new CreateOptions(39L * (1L << 40) / 10, 2048, 2));
        try (Image img = Image.open(big, true)) {
            assertThatThrownBy(() -> WriteTracker.start(img, 512))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("too fine")
                    .hasMessageContaining("use at least 1024");
            try (WriteTracker t = WriteTracker.start(img, 1024)) {
                long far = 3L << 40; // granule 3 * 2^30, above 2^31
                t.setTrackEnd(far + (1L << 20));
                t.written(far + 1024, 2048);
                t.written(5 * 1024, 1);
                assertThat(t.fileSize()).isEqualTo(far + 3072);
                assertThat(t.dirtyBytes()).isEqualTo(3 * 1024);
                assertThat(t.drain(Long.MAX_VALUE)).containsExactly(ext(5 * 1024, 1024), ext(far + 1024, 2048));
                t.written(far, 1);
                assertThat(t.nextDirty()).contains(ext(far, 1024));
                assertThat(t.wraps()).isEqualTo(1);
            }
        }
    }
}
