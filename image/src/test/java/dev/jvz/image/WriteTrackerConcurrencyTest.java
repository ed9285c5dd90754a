package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.image.WriteTracker.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The invariant a live copy needs: every byte written to the top delta's file is, after its last
 * write, either read by the copy or reported dirty again. Proved by replay: several writer threads
 * hammer the image (writes within and across clusters, new clusters, discards, flushes) while one copy
 * thread copies the file through the extents the tracker reports; after the writers stop and the
 * image is flushed, a final drain copies what is left; then the copy must equal the source file byte
 * for byte, and {@code stop()} must succeed.
 */
class WriteTrackerConcurrencyTest {
    private static final int CLUSTER_SECTORS = 64;
    private static final long CB = CLUSTER_SECTORS * 512L;
    private static final long DISK = CB * 48;
    private static final int WRITERS = 4;
    private static final int OPS_PER_WRITER = 250;

    @TempDir
    Path dir;

    /** How the copy thread walks the file. */
    enum CopyMode {
        /** Only nextDirty: the first "extent" is the whole file as tail, cut into clusters. */
        NEXT_DIRTY_ONLY,
        /** ploop's way: a linear first pass that moves the track end before each chunk it reads. */
        LINEAR_THEN_DIRTY
    }

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        long[] seeds = {1, 42, 1234567};
        for (long seed : seeds) {
            out.add(Arguments.of(seed, CopyMode.NEXT_DIRTY_ONLY, 4096));
            out.add(Arguments.of(seed, CopyMode.LINEAR_THEN_DIRTY, 4096));
        }
        out.add(Arguments.of(7L, CopyMode.LINEAR_THEN_DIRTY, 512));
        out.add(Arguments.of(8L, CopyMode.NEXT_DIRTY_ONLY, (int) CB));
        return out.stream();
    }

    @ParameterizedTest(name = "seed {0}, {1}, granule {2}")
    @MethodSource("cases")
    void copyThroughDrainedExtentsWhileWritersRunEqualsTheSource(long seed, CopyMode mode, int granule)
            throws Exception {
        String why = "seed " + seed + ", " + mode + ", granule " + granule;
        Path src = dir.resolve("root.hdd");
        Path dst = dir.resolve("copy.hdd");
        Image.create(src, new CreateOptions(DISK, CLUSTER_SECTORS, 2));
        Random setup = new Random(seed);
        try (Image image = Image.open(src, true)) {
            // Some data before tracking starts, so the first pass has something to copy.
            for (int i = 0; i < 10; i++) {
                writeRandom(image, setup);
            }
            image.flush();
            WriteTracker tracker = WriteTracker.start(image, granule);
            AtomicBoolean writersDone = new AtomicBoolean();
            CountDownLatch go = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(WRITERS + 1);
            try (FileChannel in = FileChannel.open(src, StandardOpenOption.READ);
                    FileChannel out = FileChannel.open(dst, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
                Future<Long> copier = pool.submit(() -> {
                    go.await();
                    long copied = 0;
                    if (mode == CopyMode.LINEAR_THEN_DIRTY) {
                        long end = tracker.fileSize();
                        for (long pos = 0; pos < end; pos += CB) {
                            tracker.setTrackEnd(pos + CB); // before the read, as ploop does
                            copied += copyRange(in, out, pos, Math.min(CB, end - pos));
                        }
                    }
                    // Live passes until the writers stop; an empty answer just means "caught up for now".
                    while (!writersDone.get()) {
                        Optional<Extent> e = tracker.nextDirty(CB);
                        if (e.isPresent()) {
                            copied += copyRange(in, out, e.get().offset(), e.get().length());
                        } else {
                            // Caught up: back off briefly instead of spinning on a shared 2-core machine.
                            java.util.concurrent.locks.LockSupport.parkNanos(50_000);
                        }
                    }
                    return copied;
                });
                List<Future<?>> writers = new ArrayList<>();
                for (int w = 0; w < WRITERS; w++) {
                    Random r = new Random(seed * 31 + w);
                    writers.add(pool.submit(() -> {
                        go.await();
                        for (int i = 0; i < OPS_PER_WRITER; i++) {
                            int op = r.nextInt(20);
                            if (op == 0) {
                                image.flush();
                            } else if (op == 1) {
                                // Whole clusters get unmapped (a BAT change), partial ones zeroed in place.
                                long off = r.nextBoolean() ? r.nextLong(DISK / CB) * CB : r.nextLong(DISK);
                                image.discard(off, Math.min(DISK - off, 1 + r.nextLong(2 * CB)));
                            } else {
                                writeRandom(image, r);
                            }
                        }
                        return null;
                    }));
                }
                go.countDown();
                for (Future<?> f : writers) {
                    f.get(60, TimeUnit.SECONDS);
                }
                writersDone.set(true);
                long live = copier.get(60, TimeUnit.SECONDS);
                // The writers are frozen: flush (BAT pages and header are file writes too), then the final pass.
                image.flush();
                long fin = 0;
                for (Optional<Extent> e = tracker.nextDirty(CB); e.isPresent(); e = tracker.nextDirty(CB)) {
                    fin += copyRange(in, out, e.get().offset(), e.get().length());
                }
                tracker.stop();
                assertThat(live).as(why + ": the live passes copied at least the first pass").isPositive();
                assertThat(fin).as(why).isGreaterThanOrEqualTo(0);
            } finally {
                pool.shutdownNow();
                tracker.stopForce();
            }
            byte[] a = Files.readAllBytes(src);
            byte[] b = Files.readAllBytes(dst);
            assertThat(b.length).as(why + ": copy size").isEqualTo(a.length);
            assertThat(firstDifference(a, b)).as(why + ": first differing byte of the copy").isEqualTo(-1);
            // And the copy is the same disk.
            try (Image copy = Image.open(dst, false)) {
                ByteBuffer x = ByteBuffer.allocate((int) DISK);
                ByteBuffer y = ByteBuffer.allocate((int) DISK);
                image.read(0, x);
                copy.read(0, y);
                assertThat(firstDifference(x.array(), y.array())).as(why + ": virtual content").isEqualTo(-1);
            }
        }
    }

    private static void writeRandom(Image image, Random r) throws IOException {
        long off;
        int len;
        switch (r.nextInt(4)) {
            case 0 -> { // a small random write
                len = 1 + r.nextInt(4096);
                off = r.nextLong(DISK - len);
            }
            case 1 -> { // whole clusters
                len = (int) CB * (1 + r.nextInt(2));
                off = r.nextLong(DISK / CB - 1) * CB;
            }
            default -> { // anything, often across a cluster boundary
                len = 1 + r.nextInt((int) CB * 2);
                off = r.nextLong(DISK - len);
            }
        }
        byte[] data = new byte[len];
        r.nextBytes(data);
        image.write(off, ByteBuffer.wrap(data));
    }

    private static long copyRange(FileChannel in, FileChannel out, long off, long len) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) len);
        long pos = off;
        while (buf.hasRemaining()) {
            int n = in.read(buf, pos);
            if (n < 0) {
                throw new IOException("source ended at " + pos + " inside the extent [" + off + ", +" + len + ")");
            }
            pos += n;
        }
        buf.flip();
        pos = off;
        while (buf.hasRemaining()) {
            pos += out.write(buf, pos);
        }
        return len;
    }

    private static int firstDifference(byte[] a, byte[] b) {
        int n = Math.min(a.length, b.length);
        for (int i = 0; i < n; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
        return a.length == b.length ? -1 : n;
    }
}
