package dev.jvz.image;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * Helps a sequential copy read a file fast: tells where its holes are (so they need not be read) and
 * asks the kernel to start reading a file range into the page cache ahead of the copy:
 * {@code posix_fadvise(POSIX_FADV_WILLNEED)} submits the reads, so the disk works on the next megabytes
 * while the copy processes the current ones, with no extra memory copy. The advice is about the page cache, which all descriptors of a file share, so a
 * private descriptor opened here serves any {@link java.nio.channels.FileChannel} on the same file.
 *
 * <p>Purely an optimisation: where the native call is unavailable (native access not enabled, not
 * Linux, lookup failure), {@link #open} returns an instance that does nothing, and a failing advice is
 * ignored because a read still returns the right bytes without it.
 *
 * <p>Thread-safety: one copy loop calls {@link #willNeed} and {@link #close}; the hints run on a private
 * daemon thread, handed over through a bounded queue, so the copy never waits for the kernel.
 */
final class ReadAhead implements AutoCloseable {
    /** From Linux's fcntl.h / fadvise.h: O_RDONLY|O_CLOEXEC and POSIX_FADV_WILLNEED. */
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final int POSIX_FADV_WILLNEED = 3;

    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle FADVISE;
    private static final MethodHandle LSEEK;
    /** From Linux's fs.h: lseek whence values that find data and holes in a sparse file. */
    private static final int SEEK_DATA = 3;
    private static final int SEEK_HOLE = 4;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle fadvise = null;
        MethodHandle lseek = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux")
                    && ReadAhead.class.getModule().isNativeAccessEnabled()) {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                open = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                fadvise = linker.downcallHandle(libc.find("posix_fadvise").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT));
                lseek = linker.downcallHandle(libc.find("lseek").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
            }
        } catch (RuntimeException e) {
            // No native access: the copy runs without read-ahead hints, only slower on a cold cache.
            open = null;
        }
        OPEN = open;
        CLOSE = close;
        FADVISE = fadvise;
        LSEEK = lseek;
    }

    private static final ReadAhead NONE = new ReadAhead(-1);

    /** Pending hints, {offset, length}; bounded so a stalled kernel never makes the copy wait. */
    private static final int MAX_PENDING = 8;
    private static final long[] STOP = new long[0];

    private final int fd;
    /** Hands hints to {@link #worker}: fadvise allocates page-cache pages and submits the I/O, which
     *  takes a millisecond or more per step; done here it would stall the copy loop that asked. */
    private final BlockingQueue<long[]> pending = new ArrayBlockingQueue<>(MAX_PENDING);
    private final Thread worker;

    private ReadAhead(int fd) {
        this.fd = fd;
        this.worker = fd < 0 ? null : Thread.ofPlatform().name("jvz-readahead").daemon().start(this::adviseLoop);
    }

    private void adviseLoop() {
        try {
            for (long[] r = pending.take(); r != STOP; r = pending.take()) {
                try {
                    int unused = (int) FADVISE.invokeExact(fd, r[0], r[1], POSIX_FADV_WILLNEED);
                } catch (Throwable t) {
                    // Only a hint; the read that follows is correct without it.
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** A read-ahead helper for {@code file}, or one that does nothing when hints are unavailable. */
    static ReadAhead open(Path file) {
        if (OPEN == null) {
            return NONE;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY_CLOEXEC);
            return fd < 0 ? NONE : new ReadAhead(fd);
        } catch (Throwable t) {
            return NONE;
        }
    }

    /** True when hints reach the kernel (a descriptor is open); false for the do-nothing instance. */
    boolean active() {
        return fd >= 0;
    }

    /**
     * Where the file's data starts at or after {@code offset}, and where that data run ends (lseek
     * SEEK_DATA / SEEK_HOLE): a copy skips the holes between without reading zeros from the kernel.
     *
     * @return {start, end} of the next data run, or null when unknown (no native access, an error, or
     *     no data past {@code offset}); the caller then simply reads, which is always correct
     */
    long[] nextData(long offset) {
        if (fd < 0) {
            return null;
        }
        try {
            long start = (long) LSEEK.invokeExact(fd, offset, SEEK_DATA);
            if (start < 0) {
                return null;
            }
            long end = (long) LSEEK.invokeExact(fd, start, SEEK_HOLE);
            return end < start ? null : new long[] {start, end};
        } catch (Throwable t) {
            return null;
        }
    }

    /**
     * Asks for {@code [offset, offset + length)} to be read into the page cache; returns at once (the
     * hint is dropped if too many are pending).
     */
    void willNeed(long offset, long length) {
        if (fd >= 0) {
            pending.offer(new long[] {offset, length});
        }
    }

    @Override
    public void close() {
        if (fd < 0) {
            return;
        }
        pending.clear();
        pending.add(STOP);
        boolean interrupted = false;
        while (true) {
            try {
                worker.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        try {
            int unused = (int) CLOSE.invokeExact(fd);
        } catch (Throwable t) {
            // Nothing was written through this descriptor; a failed close loses nothing.
        }
    }
}
