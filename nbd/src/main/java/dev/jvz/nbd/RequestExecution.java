package dev.jvz.nbd;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where requests run once framed. A benchmarking knob, chosen with the system property
 * {@code jvz.nbd.execution} (default {@code platform}):
 * <ul>
 *   <li>{@code platform}: a pool of platform threads per server, shared by its connections (4 per core,
 *       at least 16; idle threads exit after 30 s, so an idle export holds none). Plain blocking file
 *       I/O. The default: in A/B runs against qemu-nbd on a 2-core host it beat {@code virtual} on every
 *       fio workload (4 KiB random reads by 2x), because a virtual thread doing file I/O pins its carrier
 *       and the JDK compensates with an extra carrier around every read and write.</li>
 *   <li>{@code virtual}: a new virtual thread per request. Pipelined requests of one client overlap.</li>
 *   <li>{@code inline}: on the connection's thread, in order, one at a time (no overlap within a
 *       connection; clients get parallelism only from multiple connections).</li>
 * </ul>
 * Which wins depends on the host (cores, page-cache hit rate); all three are correct.
 */
enum RequestExecution {
    VIRTUAL, PLATFORM, INLINE;

    static RequestExecution fromProperty() {
        String v = System.getProperty("jvz.nbd.execution", "platform");
        try {
            return valueOf(v.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("jvz.nbd.execution: " + v + " (expected: virtual, platform or inline)", e);
        }
    }

    /** An executor for one server, or null for INLINE; the caller shuts it down (INLINE: nothing to do). */
    ExecutorService newExecutor() {
        return switch (this) {
            case VIRTUAL -> Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("nbd-request-", 0).factory());
            case PLATFORM -> {
                AtomicInteger ids = new AtomicInteger();
                ThreadFactory f = r -> {
                    Thread t = new Thread(r, "nbd-request-" + ids.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                };
                // Page-cache hits are CPU-bound, but a read that misses blocks on the device: the pool
                // size is the queue depth the server can offer the disk (qemu's thread pool has 64).
                int n = Math.max(16, 4 * Runtime.getRuntime().availableProcessors());
                ThreadPoolExecutor pool = new ThreadPoolExecutor(n, n, 30, TimeUnit.SECONDS,
                        new LinkedBlockingQueue<>(), f);
                pool.allowCoreThreadTimeOut(true);
                yield pool;
            }
            case INLINE -> null;
        };
    }
}
