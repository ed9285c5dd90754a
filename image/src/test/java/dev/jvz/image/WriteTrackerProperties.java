package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.image.WriteTracker.Extent;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The live-copy invariant under every interleaving a seed can pick, deterministically: a simulated
 * file (a byte array) is written by "writers" whose bytes land first and whose notification reaches
 * the tracker later, while a "copier" takes extents from the tracker and copies them, sometimes only
 * several steps later, or walks a ploop-style linear pass with {@code setTrackEnd}. When the writers
 * are done and a final drain has run, the copy must equal the file and {@code stop()} must succeed.
 * This checks the specification (PLOOP-FORMAT.md section 3) rather than the algorithm: it knows
 * nothing of cursors or bitmaps.
 *
 * <p>Reproduce with {@code -Djvz.tracker.seed=SEED}; scale with {@code -Djvz.tracker.seeds=N}.
 */
class WriteTrackerProperties {
    private static final int CLUSTER_SECTORS = 64;
    private static final int CB = CLUSTER_SECTORS * 512;
    /** The simulated file may grow to this: header cluster + 5 clusters. */
    private static final int MAX_FILE = 6 * CB;
    private static final int STEPS = 250;
    /** The linear pass reads 3 KiB at a time: several chunks per cluster, not aligned to granules. */
    private static final int LINEAR_CHUNK = 3072;

    @TempDir
    Path dir;

    @ParameterizedTest(name = "granule {0}")
    @ValueSource(ints = {512, 4096, CB})
    void copyThroughTheTrackerEqualsTheFileWhateverTheInterleaving(int granule) throws Exception {
        Path p = dir.resolve("root.hdd");
        Image.create(p, new CreateOptions(CB * 5L, CLUSTER_SECTORS, 2));
        try (Image image = Image.open(p, true)) {
            for (long seed : seeds(granule)) {
                Sim sim = new Sim(seed, image, granule);
                try {
                    sim.run();
                } catch (Exception | AssertionError e) {
                    throw new AssertionError("tracker property failed: seed " + seed + ", granule " + granule
                            + "\n  reproduce: -Djvz.tracker.seed=" + seed + " -Dtest=WriteTrackerProperties"
                            + "\n  last steps:\n    " + String.join("\n    ", sim.history) + "\n  cause: " + e, e);
                } finally {
                    sim.tracker.stopForce();
                }
            }
        }
    }

    private static long[] seeds(long salt) {
        Long fixed = Long.getLong("jvz.tracker.seed");
        if (fixed != null) {
            return new long[] {fixed};
        }
        Random r = new Random(salt);
        long[] out = new long[Integer.getInteger("jvz.tracker.seeds", 100)];
        for (int i = 0; i < out.length; i++) {
            out[i] = r.nextLong();
        }
        return out;
    }

    /** One interleaving. The image only lends its top delta to the tracker; nothing writes it. */
    static final class Sim {
        final Random r;
        final WriteTracker tracker;
        final byte[] file = new byte[MAX_FILE];
        final byte[] copy = new byte[MAX_FILE];
        /** Writes whose bytes are in the file but whose notification has not reached the tracker. */
        final List<long[]> unnotified = new ArrayList<>();
        /** Extents taken from the tracker (or promised by the linear pass) but not yet copied. */
        final List<Piece> taken = new ArrayList<>();
        final Deque<String> history = new ArrayDeque<>();
        int size;
        /** ploop-style linear pass position, or -1 when the copier uses nextDirty only. */
        long linearPos;
        long linearEnd;

        Sim(long seed, Image image, int granule) throws Exception {
            r = new Random(seed);
            tracker = WriteTracker.start(image, granule);
            size = (int) tracker.fileSize();
            r.nextBytes(file);
            Arrays.fill(file, size, MAX_FILE, (byte) 0); // past the end: nothing yet
            linearPos = r.nextBoolean() ? 0 : -1;
            linearEnd = size;
        }

        void run() throws Exception {
            for (int step = 0; step < STEPS; step++) {
                int op = r.nextInt(10);
                if (op < 4) {
                    write();
                } else if (op < 6 && !unnotified.isEmpty()) {
                    notifyOne();
                } else if (op < 8) {
                    take();
                } else if (!taken.isEmpty()) {
                    copyOne(r.nextInt(taken.size()));
                }
            }
            // Writers stop: every notification arrives; then the copier catches up completely.
            while (!unnotified.isEmpty()) {
                notifyOne();
            }
            while (!taken.isEmpty()) {
                copyOne(0);
            }
            while (linearPos >= 0 && linearPos < linearEnd) {
                take();
                copyOne(0);
            }
            for (Optional<Extent> e = tracker.nextDirty(); e.isPresent(); e = tracker.nextDirty()) {
                note("final " + e.get());
                copyExtent(e.get());
            }
            tracker.stop();
            int end = (int) tracker.fileSize();
            assertThat(end).as("file end").isEqualTo(size);
            int diff = Arrays.mismatch(Arrays.copyOf(file, end), Arrays.copyOf(copy, end));
            assertThat(diff).as("first byte where the copy differs from the file").isEqualTo(-1);
        }

        /** A writer changes bytes now; the tracker hears of it later. Sometimes it grows the file. */
        void write() {
            int off;
            int len;
            if (size + CB <= MAX_FILE && r.nextInt(6) == 0) {
                off = size; // an allocation appends a whole cluster
                len = CB;
            } else {
                len = 1 + r.nextInt(r.nextBoolean() ? 700 : 3 * 4096);
                off = r.nextInt(size);
                len = Math.min(len, size - off);
            }
            byte[] data = new byte[len];
            r.nextBytes(data);
            System.arraycopy(data, 0, file, off, len);
            size = Math.max(size, off + len);
            unnotified.add(new long[] {off, len});
            note("write " + off + " +" + len);
        }

        void notifyOne() {
            long[] w = unnotified.remove(r.nextInt(unnotified.size()));
            tracker.written(w[0], w[1]);
            note("notify " + w[0] + " +" + w[1]);
        }

        /** The copier takes the next piece: of its linear pass (moving the track end first), or from the tracker. */
        void take() throws Exception {
            if (linearPos >= 0 && linearPos < linearEnd) {
                long len = Math.min(LINEAR_CHUNK, linearEnd - linearPos);
                // Before the read, as ploop does. The promise: read everything below the new track end
                // that the file holds at read time (ploop's pread of a whole chunk), even past linearEnd.
                tracker.setTrackEnd(linearPos + LINEAR_CHUNK);
                taken.add(new Piece(new Extent(linearPos, LINEAR_CHUNK), true));
                note("linear " + linearPos + " +" + len);
                linearPos += len;
                return;
            }
            long max = r.nextBoolean() ? Long.MAX_VALUE : tracker.granularity() * (1L + r.nextInt(10));
            if (r.nextInt(4) == 0) {
                List<Extent> es = tracker.drain(Math.max(max, tracker.granularity()));
                for (int i = 1; i < es.size(); i++) {
                    if (es.get(i).offset() <= es.get(i - 1).end()) {
                        throw new AssertionError("drain not sorted and merged: " + es);
                    }
                }
                es.forEach(x -> taken.add(new Piece(x, false)));
                note("drain " + es);
            } else {
                Optional<Extent> e = tracker.nextDirty(max);
                e.ifPresent(x -> taken.add(new Piece(x, false)));
                note("next " + e.map(Extent::toString).orElse("none"));
            }
        }

        void copyOne(int i) {
            Piece piece = taken.remove(i);
            if (piece.linear()) {
                // A read of the chunk returns what the file holds now, up to its end.
                long end = Math.min(piece.extent().end(), size);
                if (end > piece.extent().offset()) {
                    copyExtent(new Extent(piece.extent().offset(), end - piece.extent().offset()));
                }
            } else {
                copyExtent(piece.extent());
            }
            note("copy " + piece);
        }

        void copyExtent(Extent e) {
            if (e.end() > size) {
                throw new AssertionError("extent " + e + " past the end of the file of " + size + " bytes");
            }
            System.arraycopy(file, (int) e.offset(), copy, (int) e.offset(), (int) e.length());
        }

        record Piece(Extent extent, boolean linear) {}

        void note(String s) {
            history.addLast(s); // strings are cheap next to what a failure without them costs
            if (history.size() > Integer.getInteger("jvz.tracker.history", 16)) {
                history.removeFirst();
            }
        }
    }
}
