package dev.jvz.copy;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/**
 * Asks the kernel to start writing a file's dirty pages to disk now, without waiting and without a
 * journal commit: {@code sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)} on a private read-only
 * descriptor (the page cache is the file's, whichever descriptor asks). A receiver writing a fresh
 * multi-GiB copy otherwise leaves it all dirty (the kernel's background threshold is a tenth of RAM)
 * and the fdatasync before the freeze waits for the whole disk write. A background fdatasync did the
 * same job but stalled the writes behind its journal commits and took the disk from the sender's cold
 * reads: pass 1 lost about a third of its rate (BENCHMARKS.md, live copy, session 2).
 *
 * <p>Purely a hint: where the native call is unavailable (native access not enabled, not Linux) or
 * fails, nothing happens and the final fdatasync does the whole write, as before. Errors of the
 * writeback it starts are not consumed here: they belong to the receiver's own descriptor, whose
 * fdatasync reports them (a private descriptor is a separate open file description).
 *
 * <p>Thread-safety: {@link #start} may be called from any one thread at a time; {@link #close} once,
 * after the last {@link #start}.
 */
final class WritebackHint implements AutoCloseable {
    /** From Linux's fcntl.h: O_RDONLY|O_CLOEXEC, and sync_file_range's "start write-out" flag. */
    private static final int O_RDONLY_CLOEXEC = 0x80000;
    private static final int SYNC_FILE_RANGE_WRITE = 2;

    private static final MethodHandle OPEN;
    private static final MethodHandle CLOSE;
    private static final MethodHandle SYNC_FILE_RANGE;

    static {
        MethodHandle open = null;
        MethodHandle close = null;
        MethodHandle sfr = null;
        try {
            if (System.getProperty("os.name", "").startsWith("Linux")
                    && WritebackHint.class.getModule().isNativeAccessEnabled()) {
                Linker linker = Linker.nativeLinker();
                var libc = linker.defaultLookup();
                open = linker.downcallHandle(libc.find("open").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT), Linker.Option.firstVariadicArg(2));
                close = linker.downcallHandle(libc.find("close").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
                sfr = linker.downcallHandle(libc.find("sync_file_range").orElseThrow(), FunctionDescriptor.of(
                        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.JAVA_INT));
            }
        } catch (RuntimeException e) {
            open = null; // no hints: the final fdatasync writes everything, only later
        }
        OPEN = open;
        CLOSE = close;
        SYNC_FILE_RANGE = open == null ? null : sfr;
    }

    private static final WritebackHint NONE = new WritebackHint(-1);

    private final int fd;

    private WritebackHint(int fd) {
        this.fd = fd;
    }

    /** Hints for {@code file} (which must exist), or an instance that does nothing. */
    static WritebackHint open(Path file) {
        if (SYNC_FILE_RANGE == null) {
            return NONE;
        }
        try (Arena arena = Arena.ofConfined()) {
            int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toAbsolutePath().toString()), O_RDONLY_CLOEXEC);
            return fd < 0 ? NONE : new WritebackHint(fd);
        } catch (Throwable t) {
            return NONE;
        }
    }

    /** True when hints reach the kernel. */
    boolean active() {
        return fd >= 0;
    }

    /** Starts write-out of every dirty page of the file not already being written; does not wait. */
    void start() {
        if (fd < 0) {
            return;
        }
        try {
            int unused = (int) SYNC_FILE_RANGE.invokeExact(fd, 0L, 0L, SYNC_FILE_RANGE_WRITE);
        } catch (Throwable t) {
            // Only a hint: the final fdatasync writes whatever is still dirty.
        }
    }

    @Override
    public void close() {
        if (fd >= 0) {
            try {
                int unused = (int) CLOSE.invokeExact(fd);
            } catch (Throwable t) {
                // nothing to do: the descriptor is gone either way
            }
        }
    }
}
