package dev.jvz.nbd;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where requests run once framed. A benchmarking knob, chosen with the system property
 * {@code jvz.nbd.execution} (default {@code virtual}):
 * <ul>
 *   <li>{@code virtual}: a new virtual thread per request. Pipelined requests of one client overlap; the
 *       cost is a thread start per request and the JDK's carrier compensation around file I/O.</li>
 *   <li>{@code platform}: a fixed pool of platform threads shared by all connections (2 per core, at
 *       least 4). Plain blocking file I/O, no compensation; threads are reused.</li>
 *   <li>{@code inline}: on the connection's thread, in order, one at a time (no overlap within a
 *       connection; clients get parallelism only from multiple connections).</li>
 * </ul>
 * Which wins depends on the host (cores, page-cache hit rate); all three are correct.
 */
enum RequestExecution {
    VIRTUAL, PLATFORM, INLINE;

    static RequestExecution fromProperty() {
        String v = System.getProperty("jvz.nbd.execution", "virtual");
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
                AtomicInteger n = new AtomicInteger();
                ThreadFactory f = r -> {
                    Thread t = new Thread(r, "nbd-request-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                };
                yield Executors.newFixedThreadPool(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), f);
            }
            case INLINE -> null;
        };
    }
}
