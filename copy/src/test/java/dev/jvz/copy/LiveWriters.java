package dev.jvz.copy;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A live image for copy tests: writer threads keep doing random 4 KiB writes (some into clusters not
 * yet allocated, so the file grows) and a flush every few writes, at a steady rate, until closed. The
 * {@link #freezeStep()} stops them the way FIFREEZE does: it waits for the writes in flight, blocks
 * new ones, flushes the image (the syncfs part) and records the source file as it is at that moment.
 *
 * <p>Thread-safety: {@link #gate} orders writers (read lock, held across one write or flush) against
 * the freeze (write lock, held from freeze to thaw by the copy's thread).
 */
final class LiveWriters implements AutoCloseable {
    static final int CLUSTER_SECTORS = 64;
    static final long CLUSTER = CLUSTER_SECTORS * 512L;

    final Image image;
    final Path source;
    private final long disk;
    private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean stop;
    private volatile Throwable writerFailure;
    final AtomicLong writes = new AtomicLong();
    /** The source file at the moment of the freeze (after its flush). */
    volatile byte[] frozenSource;
    final TestFreeze freeze = new TestFreeze();

    /**
     * @param prefill bytes written (linearly, from 0) before tracking starts
     * @param intervalNanos pause between two writes of one writer
     */
    LiveWriters(Path dir, long disk, long prefill, int writers, long intervalNanos, long seed) throws Exception {
        this.disk = disk;
        this.source = dir.resolve("root.hdd");
        Image.create(source, new CreateOptions(disk, CLUSTER_SECTORS, 2));
        this.image = Image.open(source, true);
        Random r = new Random(seed);
        byte[] buf = new byte[(int) CLUSTER];
        for (long off = 0; off < prefill; off += CLUSTER) {
            r.nextBytes(buf);
            image.write(off, ByteBuffer.wrap(buf));
        }
        image.flush();
        freeze.onFreeze = () -> {
            gate.writeLock().lock();
            image.flush();
            frozenSource = Files.readAllBytes(source);
        };
        freeze.onThaw = () -> {
            if (gate.writeLock().isHeldByCurrentThread()) {
                gate.writeLock().unlock();
            }
        };
        for (int w = 0; w < writers; w++) {
            long s = seed * 31 + w;
            threads.add(Thread.ofPlatform().name("test-writer-" + w).daemon(true).unstarted(() -> writeLoop(s,
                    intervalNanos)));
        }
    }

    FreezeStep freezeStep() {
        return freeze;
    }

    void start() {
        threads.forEach(Thread::start);
    }

    private void writeLoop(long seed, long intervalNanos) {
        Random r = new Random(seed);
        byte[] data = new byte[4096];
        try {
            for (int i = 0; !stop; i++) {
                r.nextBytes(data);
                long off = r.nextLong(disk / 4096) * 4096;
                gate.readLock().lock();
                try {
                    image.write(off, ByteBuffer.wrap(data));
                    if (i % 8 == 7) {
                        image.flush();
                    }
                } finally {
                    gate.readLock().unlock();
                }
                writes.incrementAndGet();
                LockSupport.parkNanos(intervalNanos);
            }
        } catch (Throwable t) {
            writerFailure = t;
        }
    }

    void requireNoWriterFailure() {
        if (writerFailure != null) {
            throw new AssertionError("a writer failed", writerFailure);
        }
    }

    @Override
    public void close() throws IOException {
        stop = true;
        for (Thread t : threads) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        image.close();
    }
}
