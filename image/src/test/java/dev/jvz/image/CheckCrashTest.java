package dev.jvz.image;

import static dev.jvz.image.Corrupt.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.jvz.image.CheckReport.Severity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Crash consistency of allocating writes, proven by replay: a whole read-write session (open, allocating
 * and in-place writes, flushes, more writes, close) is recorded as the exact sequence of file writes the
 * delta makes. Then, for every prefix of that sequence (a crash after write k, with writes reaching the
 * disk in order) and for every cut inside an appended cluster (a crash in the middle of the append),
 * the on-disk state is rebuilt from a copy of the pre-session file, checked and repaired with
 * {@link CheckOptions#afterCrash()}, and must then open read-write, with every virtual cluster holding
 * what it held at the last completed flush or what a later write in the crashed window put there.
 */
class CheckCrashTest {
    @TempDir
    Path dir;

    /** One file write as it reached the page cache. */
    record Write(long offset, byte[] data, int op) {}

    /** The recorded session. */
    static final class Session {
        final List<Write> writes = new ArrayList<>();
        /** snapshots.get(j) = virtual disk content after operation j (0 = before the session). */
        final List<byte[]> snapshots = new ArrayList<>();
        /** For each operation j: number of writes recorded when it ended. */
        final List<Integer> endOf = new ArrayList<>();
        /** Operations after which everything written so far was durable (open, flush, close). */
        final TreeSet<Integer> syncOps = new TreeSet<>();
        /**
         * Write counts at which the delta forced the file (Delta.flush: fdatasync, BAT pages and header,
         * fdatasync; close: flush, then the clean header and another sync). Writes between two of these
         * may reach the disk in any order.
         */
        final TreeSet<Integer> barriers = new TreeSet<>();
        int currentOp;
    }

    @ParameterizedTest(name = "{0} sectors, v{1}")
    @CsvSource({"64,1", "64,2", "2048,1", "2048,2"})
    void everyCrashPointChecksToTheDurableStateOrALaterOne(int clusterSectors, int version) throws Exception {
        long cb = clusterSectors * 512L;
        Path pre = make(dir.resolve("pre.hdd"), clusterSectors, version, 6, 1);
        byte[] preBytes = Files.readAllBytes(pre);
        Session s = record(pre, cb);
        Path live = dir.resolve("live.hdd");
        // The model is exact: replaying every write on the old file gives the final file.
        assertThat(replay(preBytes, s.writes, s.writes.size(), -1)).isEqualTo(Files.readAllBytes(live));

        Path crash = dir.resolve("crash.hdd");
        for (int k = 0; k <= s.writes.size(); k++) {
            Files.write(crash, replay(preBytes, s.writes, k, -1));
            verify(crash, s, k, k == 0 ? 0 : s.writes.get(k - 1).op(), cb, "after write " + k);
        }
        Random rnd = new Random(clusterSectors * 31L + version);
        int appends = 0;
        for (int k = 0; k < s.writes.size(); k++) {
            Write w = s.writes.get(k);
            long sizeBefore = replay(preBytes, s.writes, k, -1).length;
            if (w.offset() < sizeBefore || w.data().length != cb) {
                continue; // not an append of a new cluster
            }
            appends++;
            List<Integer> cuts = new ArrayList<>(List.of(0, 1, 511, 512, 4096, (int) cb / 2, (int) cb - 1));
            long seed = rnd.nextLong();
            Random r = new Random(seed);
            for (int i = 0; i < 3; i++) {
                cuts.add(1 + r.nextInt((int) cb - 1));
            }
            for (int cut : cuts) {
                Files.write(crash, replay(preBytes, s.writes, k, cut));
                assertThat(Files.size(crash)).isEqualTo(w.offset() + cut);
                verify(crash, s, k, w.op(), cb, "append " + k + " cut at " + cut + " (seed " + seed + ")");
            }
        }
        assertThat(appends).as("the session appends clusters").isGreaterThanOrEqualTo(4);
    }

    @ParameterizedTest(name = "{0} sectors, v{1}")
    @CsvSource({"64,1", "64,2", "2048,2"})
    void writesBetweenTwoSyncsMayLandInAnyOrder(int clusterSectors, int version) throws Exception {
        long cb = clusterSectors * 512L;
        Path pre = make(dir.resolve("pre.hdd"), clusterSectors, version, 6, 1);
        byte[] preBytes = Files.readAllBytes(pre);
        Session s = record(pre, cb);
        Path crash = dir.resolve("crash.hdd");
        Integer from = s.barriers.first();
        int states = 0;
        for (Integer to = s.barriers.higher(from); to != null; from = to, to = s.barriers.higher(to)) {
            int n = to - from;
            assertThat(n).as("window of writes between syncs").isLessThanOrEqualTo(8);
            byte[] base = replay(preBytes, s.writes, from, -1);
            for (int mask = 1; mask < (1 << n); mask++) {
                List<Write> subset = new ArrayList<>();
                for (int b = 0; b < n; b++) {
                    if ((mask & (1 << b)) != 0) {
                        subset.add(s.writes.get(from + b));
                    }
                }
                Files.write(crash, replay(base, subset, subset.size(), -1));
                verify(crash, s, from, s.writes.get(to - 1).op(), cb,
                        "writes " + from + ".." + (to - 1) + " subset " + Integer.toBinaryString(mask));
                states++;
            }
        }
        assertThat(states).isGreaterThan(10);
    }

    /** Runs a session on a copy of {@code pre} and records every write with the bytes written. */
    private Session record(Path pre, long cb) throws Exception {
        Path live = dir.resolve("live.hdd");
        Files.copy(pre, live);
        Session s = new Session();
        byte[] model = content(live);
        s.snapshots.add(model.clone());
        s.endOf.add(0);
        s.syncOps.add(0);
        try (FileChannel reader = FileChannel.open(live, StandardOpenOption.READ)) {
            Image img = Image.open(live, true);
            // Opening wrote the inUse mark and synced before a listener could be attached.
            byte[] hdr = new byte[PloopFormat.HEADER_SIZE];
            reader.read(ByteBuffer.wrap(hdr), 0);
            s.currentOp = 1;
            s.writes.add(new Write(0, hdr, 1));
            s.barriers.add(0);
            end(s, model, true);
            s.barriers.add(s.writes.size());
            img.setTopWriteListener((off, len) -> {
                byte[] b = new byte[(int) len];
                try {
                    RawLayer.readFully(reader, off, ByteBuffer.wrap(b), live);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                s.writes.add(new Write(off, b, s.currentOp));
            });
            Random r = new Random(cb);
            write(s, img, model, 1 * cb, cb, r);            // allocate a whole cluster
            write(s, img, model, 2 * cb + 100, 3000, r);   // allocate with a partial write
            flush(s, img, model);
            write(s, img, model, 0 * cb + 7, 5000, r);      // in place, over flushed data
            write(s, img, model, 3 * cb + cb - 700, 700, r); // allocate, partial at the end
            write(s, img, model, 4 * cb, cb, r);
            flush(s, img, model);
            write(s, img, model, 5 * cb + 1, 10, r);        // allocate, never flushed by itself
            write(s, img, model, 1 * cb + 64, 64, r);       // in place, never flushed by itself
            s.currentOp++;
            s.barriers.add(s.writes.size());
            img.close();                                   // flush + clean mark
            s.barriers.add(s.writes.size() - 1);
            s.barriers.add(s.writes.size());
            end(s, model, true);
        }
        return s;
    }

    private static void write(Session s, Image img, byte[] model, long off, long len, Random r) throws IOException {
        byte[] data = new byte[(int) len];
        r.nextBytes(data);
        s.currentOp++;
        img.write(off, ByteBuffer.wrap(data));
        System.arraycopy(data, 0, model, (int) off, data.length);
        end(s, model, false);
    }

    private static void flush(Session s, Image img, byte[] model) throws IOException {
        s.currentOp++;
        s.barriers.add(s.writes.size());
        img.flush();
        s.barriers.add(s.writes.size());
        end(s, model, true);
    }

    private static void end(Session s, byte[] model, boolean sync) {
        s.snapshots.add(model.clone());
        s.endOf.add(s.writes.size());
        if (sync) {
            s.syncOps.add(s.snapshots.size() - 1);
        }
    }

    /** The pre-session file with the first {@code k} writes applied, plus {@code cut} bytes of write k. */
    private static byte[] replay(byte[] pre, List<Write> writes, int k, int cut) {
        byte[] f = pre;
        for (int i = 0; i < k + (cut >= 0 ? 1 : 0); i++) {
            Write w = writes.get(i);
            int len = i == k ? cut : w.data().length;
            long end = w.offset() + len;
            if (end > f.length) {
                f = Arrays.copyOf(f, (int) end);
            }
            System.arraycopy(w.data(), 0, f, (int) w.offset(), len);
        }
        return f;
    }

    /**
     * Checks a crash state: repair makes it openable read-write and each virtual cluster equals a
     * snapshot between the last durable one and the operation that was in progress.
     */
    private void verify(Path crash, Session s, int k, int inProgressOp, long cb, String what) throws Exception {
        PloopHeader h = header(crash);
        if (h.isInUse()) {
            assertThatThrownBy(() -> Image.open(crash, true)).as(what)
                    .isInstanceOf(ImageInUseException.class).hasMessageContaining("jvz ploop check -d " + crash);
        }
        CheckReport r = ImageChecker.check(crash, CheckOptions.afterCrash());
        assertThat(r.severity()).as(what + ": " + r.findings()).isIn(Severity.CLEAN, Severity.FIXED);
        assertThat(header(crash).isInUse()).as(what).isFalse();
        assertThat(Files.size(crash) % cb).as(what).isZero();
        Image.open(crash, true).close();
        assertThat(ImageChecker.check(crash, CheckOptions.reportOnly()).severity()).as(what)
                .isEqualTo(Severity.CLEAN);

        // The last operation whose writes all reached the disk and ended with a sync.
        int durable = 0;
        for (int op : s.syncOps) {
            if (s.endOf.get(op) <= k) {
                durable = op;
            }
        }
        int hi = Math.max(durable, inProgressOp);
        byte[] got = content(crash);
        int clusters = got.length / (int) cb;
        for (int v = 0; v < clusters; v++) {
            byte[] c = cluster(got, v, cb);
            boolean ok = false;
            for (int j = durable; j <= hi && !ok; j++) {
                ok = Arrays.equals(c, cluster(s.snapshots.get(j), v, cb));
            }
            if (!ok) {
                fail(what + ": virtual cluster " + v + " matches no state between operation " + durable
                        + " (last flush) and " + hi);
            }
        }
    }
}
