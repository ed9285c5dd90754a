package dev.jvz.image;

import static dev.jvz.image.DiskTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Disk#deleteSnapshotLive} of the snapshot under the active top, while the image is served:
 * the top is merged down into the snapshot, which becomes the top. Proves (1) data equality against
 * a model while a writer thread writes and discards during the copy, (2) a crash at every step
 * leaves a disk that reads what was flushed, (3) an error at every step leaves the served image and
 * the disk reading the same, and the delete can run again.
 */
class DiskLiveDeleteTest {
    static final String TOP = DiskDescriptor.TOP_GUID;
    static final int CS = 64;
    static final long CB = CS * 512L;
    static final int CLUSTERS = 24;

    @TempDir
    Path tmp;

    /** The disk: base s1 <- s <- top, each with random data; {@code grown}: the top grew after s. */
    record Built(String s1, String s, byte[] s1Data, byte[] top) {}

    static Built build(Path dir, long seed, boolean grown) throws Exception {
        Random r = new Random(seed);
        Files.createDirectories(dir);
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(CB * CLUSTERS, CS, 2))) {
            byte[] m = randomWrites(d, new byte[(int) (CB * CLUSTERS)], r, 8, CB);
            String s1 = d.snapshot(null);
            byte[] s1Data = m.clone();
            randomWrites(d, m, r, 8, CB);
            String s = d.snapshot(null);
            if (grown) {
                d.grow(CB * (CLUSTERS + 300)); // the BAT outgrows its header cluster: data clusters move
                m = Arrays.copyOf(m, (int) (CB * (CLUSTERS + 300)));
            }
            randomWrites(d, m, r, 10, CB);
            return new Built(s1, s, s1Data, m);
        }
    }

    /** One random write or whole-cluster discard on {@code live}, mirrored into {@code model}. */
    static void randomOp(Image live, byte[] model, Random r) throws IOException {
        if (r.nextInt(5) == 0) {
            int c = r.nextInt((int) (model.length / CB));
            live.discard(c * CB, CB);
            Arrays.fill(model, (int) (c * CB), (int) ((c + 1) * CB), (byte) 0);
        } else {
            int off = r.nextInt(model.length);
            int len = 1 + r.nextInt((int) Math.min(model.length - off, CB * 2));
            byte[] data = new byte[len];
            r.nextBytes(data);
            live.write(off, ByteBuffer.wrap(data));
            System.arraycopy(data, 0, model, off, len);
        }
    }

    @ParameterizedTest
    @CsvSource({"1,false", "2,false", "3,true", "4,false", "5,true"})
    void aWriterRunningDuringTheDeleteLosesNothing(long seed, boolean grown) throws Exception {
        Path dir = tmp.resolve("disk");
        Built b = build(dir, seed, grown);
        byte[] model = b.top().clone();
        try (Disk d = Disk.open(dir)) {
            Image live = d.openImage(true);
            CountDownLatch written = new CountDownLatch(40);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> writerFailure = new AtomicReference<>();
            Random wr = new Random(seed * 31);
            Thread writer = Thread.ofPlatform().start(() -> {
                try {
                    while (!stop.get()) {
                        randomOp(live, model, wr);
                        written.countDown();
                    }
                } catch (Throwable t) {
                    writerFailure.set(t);
                    while (written.getCount() > 0) {
                        written.countDown();
                    }
                }
            });
            AtomicBoolean waited = new AtomicBoolean();
            d.setStepHook(step -> {
                // Structural overlap: the copy stops after its first cluster until the writer did 40 ops.
                if (step.equals("live merge: cluster copied") && waited.compareAndSet(false, true)) {
                    try {
                        assertThat(written.await(60, TimeUnit.SECONDS)).as("writer progress").isTrue();
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
            });
            try {
                d.deleteSnapshotLive(live, b.s());
            } finally {
                stop.set(true);
                writer.join();
            }
            assertThat(writerFailure.get()).as("seed " + seed).isNull();
            assertThat(waited).as("seed " + seed + ": the copy ran while the writer wrote").isTrue();
            assertSameContent(readAll(live), model, "seed " + seed + ": served image after the delete");
            assertThat(live.depth()).as("s1 and S").isEqualTo(2);
            assertThat(live.topPath()).as("S's file is the top").isEqualTo(dir.resolve(fileOf(d)));
            // The new top keeps taking writes.
            randomOp(live, model, wr);
            live.close();
            d.setStepHook(null);
            Map<String, byte[]> expect = new LinkedHashMap<>();
            expect.put(b.s1(), b.s1Data());
            expect.put(TOP, model);
            verifyAll(d, expect, "seed " + seed + " after the live delete");
        }
        CheckReport rep = ImageChecker.check(dir.resolve(Disk.readDescriptor(dir).image(TOP).file()),
                CheckOptions.reportOnly());
        // The writer's discards after the switch unmap clusters of the new top and leave them unused, as
        // any discard does; anything else would be damage.
        assertThat(rep.findings()).as("check of the new top: " + rep.summary())
                .allMatch(f -> f.kind() == CheckReport.Kind.LEAK || f.kind() == CheckReport.Kind.HOLE);
    }

    private static String fileOf(Disk d) {
        return d.descriptor().image(TOP).file();
    }

    /** Step hook: at each phase-1 copy it writes and flushes (served I/O), then copies the files as a crash would. */
    static final class CrashRecorder implements StepHook {
        final List<String> steps = new ArrayList<>();
        final List<byte[]> expected = new ArrayList<>();
        final Path disk;
        final Path crashRoot;
        Image live;
        byte[] model;
        final Random r = new Random(99);

        CrashRecorder(Path disk, Path crashRoot) {
            this.disk = disk;
            this.crashRoot = crashRoot;
        }

        @Override
        public void reached(String step) throws IOException {
            if (step.equals("live merge: cluster copied")) {
                randomOp(live, model, r);
                live.flush(); // what a crash must keep
            }
            int n = steps.size();
            steps.add(step);
            expected.add(model.clone());
            copyDir(disk, crashRoot.resolve(String.format("%03d", n)));
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void aCrashAtEveryStepLeavesTheFlushedContent(boolean grown) throws Exception {
        Path dir = tmp.resolve("disk");
        Built b = build(dir, 7, grown);
        CrashRecorder rec = new CrashRecorder(dir, tmp.resolve("crash"));
        rec.model = b.top().clone();
        try (Disk d = Disk.open(dir)) {
            rec.live = d.openImage(true);
            d.setStepHook(rec);
            d.deleteSnapshotLive(rec.live, b.s());
            d.setStepHook(null);
            assertSameContent(readAll(rec.live), rec.model, "served after the delete");
            rec.live.close();
        }
        // The writes made during phase 1 left rewritten or new clusters for the pause to copy.
        assertThat(rec.steps).contains("live merge: cluster copied", "live merge: cluster copied while paused",
                "live merge: parent flushed",
                "live merge: descriptor stored", "live merge: old top removed");
        if (grown) {
            assertThat(rec.steps).contains("live merge: parent grown");
        }
        for (int n = 0; n < rec.steps.size(); n++) {
            Path copy = tmp.resolve("crash").resolve(String.format("%03d", n));
            String why = "grown=" + grown + ": crash after step " + n + " (" + rec.steps.get(n) + ")";
            try (Disk c = Disk.open(copy)) {
                DiskDescriptor dd = c.descriptor();
                try (Image img = c.openImage(false)) {
                    assertSameContent(readAll(img), rec.expected.get(n), why + ": active disk");
                }
                assertSameContent(readSnapshot(copy, dd, b.s1()), b.s1Data(), why + ": snapshot s1");
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void anErrorAtEveryStepLeavesTheSameContentAndTheDeleteCanRunAgain(boolean grown) throws Exception {
        Path template = tmp.resolve("template");
        Built b = build(template, 11, grown);
        Path probe = tmp.resolve("probe");
        copyDir(template, probe);
        List<String> steps = new ArrayList<>();
        try (Disk d = Disk.open(probe); Image live = d.openImage(true)) {
            d.setStepHook(steps::add);
            d.deleteSnapshotLive(live, b.s());
        }
        assertThat(steps).isNotEmpty();
        Map<String, byte[]> expect = new LinkedHashMap<>();
        expect.put(b.s1(), b.s1Data());
        for (int n = 0; n < steps.size(); n++) {
            Path dir = tmp.resolve("stop" + n);
            copyDir(template, dir);
            String why = "grown=" + grown + ": error at step " + n + " (" + steps.get(n) + ")";
            byte[] model = b.top().clone();
            try (Disk d = Disk.open(dir)) {
                Image live = d.openImage(true);
                int stopAt = n;
                int[] seen = {0};
                d.setStepHook(step -> {
                    if (seen[0]++ == stopAt) {
                        throw new IOException("injected stop at step " + stopAt + " (" + step + ")");
                    }
                });
                assertThatThrownBy(() -> d.deleteSnapshotLive(live, b.s())).as(why)
                        .hasMessageContaining("injected stop");
                d.setStepHook(null);
                assertSameContent(readAll(live), model, why + ": served image after the failure");
                randomOp(live, model, new Random(n)); // still serving writes
                if (d.descriptor().snapshot(b.s()) != null) {
                    d.deleteSnapshotLive(live, b.s());
                }
                assertSameContent(readAll(live), model, why + ": served image after the retry");
                live.close();
                expect.put(TOP, model);
                verifyAll(d, expect, why + ", then run again");
            }
        }
    }

    @Test
    void deletingTheSnapshotOfAReadOnlyServedDiskWorksToo() throws Exception {
        Path dir = tmp.resolve("disk");
        Built b = build(dir, 21, false);
        try (Disk d = Disk.open(dir)) {
            try (Image live = d.openImage(false)) {
                d.deleteSnapshotLive(live, b.s());
                assertSameContent(readAll(live), b.top(), "read-only served image");
                assertThat(live.depth()).isEqualTo(2);
            }
            verifyAll(d, Map.of(b.s1(), b.s1Data(), TOP, b.top()), "after");
        }
    }

    @Test
    void theActiveTopAndAPlainParentAreRefused() throws Exception {
        Path dir = tmp.resolve("disk");
        Built b = build(dir, 22, false);
        try (Disk d = Disk.open(dir); Image live = d.openImage(true)) {
            assertThatThrownBy(() -> d.deleteSnapshotLive(live, TOP)).isInstanceOf(ImageException.class)
                    .hasMessageContaining("active top");
            // Deleting the base s1 merges s (below the top) into it: the older live path.
            d.deleteSnapshotLive(live, b.s1());
            assertThat(live.depth()).isEqualTo(2);
            assertSameContent(readAll(live), b.top(), "after deleting the base snapshot");
        }
    }

    @Test
    void aTemporarySnapshotLeftWithTheTopAsItsOnlyChildIsMergedLiveToo() throws Exception {
        Path dir = tmp.resolve("disk");
        Files.createDirectories(dir);
        Random r = new Random(23);
        byte[] model;
        String a;
        String b;
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(CB * CLUSTERS, CS, 2))) {
            byte[] aData = randomWrites(d, new byte[(int) (CB * CLUSTERS)], r, 8, CB);
            a = d.snapshot(null);
            randomWrites(d, aData.clone(), r, 8, CB);
            b = d.snapshot(null);
            d.switchTo(a); // a now has two children: b and the new top
            model = aData.clone();
            randomWrites(d, model, r, 6, CB);
        }
        try (Disk d = Disk.open(dir)) {
            Image live = d.openImage(true);
            d.deleteSnapshotLive(live, a);
            assertThat(d.descriptor().snapshot(a).temporary()).as("a keeps its data for b").isTrue();
            randomOp(live, model, r);
            d.deleteSnapshotLive(live, b); // b goes; a, temporary, keeps one child (the top): merged live
            assertThat(live.depth()).isEqualTo(1);
            randomOp(live, model, r);
            assertSameContent(readAll(live), model, "served");
            live.close();
            verifyAll(d, Map.of(TOP, model), "after collapsing a");
        }
    }

    @Test
    void aRunningWriteTrackerIsNotDetachedAndTheDeleteIsRefusedCleanly() throws Exception {
        Path dir = tmp.resolve("disk");
        Built b = build(dir, 24, false);
        try (Disk d = Disk.open(dir); Image live = d.openImage(true)) {
            try (WriteTracker t = WriteTracker.start(live)) {
                assertThatThrownBy(() -> d.deleteSnapshotLive(live, b.s())).isInstanceOf(ImageLockedException.class)
                        .hasMessageContaining("a copy is tracking writes");
                // Discard unmaps again (keepTopMapped was reset): a cluster only the top holds reads as a hole.
                long c = -1;
                for (long v = 0; v < live.clusters() && c < 0; v++) {
                    if (live.layerOf(v) == -1) {
                        c = v;
                    }
                }
                assertThat(c).as("a cluster no layer maps").isGreaterThanOrEqualTo(0);
                live.write(c * CB, ByteBuffer.allocate((int) CB).put(0, (byte) 1));
                live.discard(c * CB, CB);
                assertThat(live.layerOf(c)).isEqualTo(-1);
            }
            d.deleteSnapshotLive(live, b.s());
            assertSameContent(readAll(live), b.top(), "served");
        }
    }
}
