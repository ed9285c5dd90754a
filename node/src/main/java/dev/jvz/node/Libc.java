package dev.jvz.node;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the node makes itself through the FFM API: open, close, ioctl, syncfs, each
 * failure thrown as a {@link ToolException} with the call, the path and strerror(errno). Used where
 * no tool can do the job (a loop device's size limit) or where starting a tool costs more than the
 * work (FIFREEZE inside a live copy's frozen window, {@link Fs}).
 *
 * <p>Thread-safe: stateless; errno is captured per call (the JVM may make other calls in between).
 */
final class Libc {
    private Libc() {}

    static final int O_RDONLY = 0;
    static final int O_RDWR = 2;
    /** fcntl.h: for {@link #open} of a directory (a mount point) only. */
    static final int O_DIRECTORY = 0x10000;
    static final int O_CLOEXEC = 0x80000;
    static final int ENOTTY = 25;
    static final int EOPNOTSUPP = 95;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN;
    private static final MethodHandle IOCTL;
    private static final MethodHandle CLOSE;
    private static final MethodHandle SYNCFS;
    private static final MethodHandle STRERROR;

    static {
        SymbolLookup libc = LINKER.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        OPEN = LINKER.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno, Linker.Option.firstVariadicArg(2));
        IOCTL = LINKER.downcallHandle(libc.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), errno, Linker.Option.firstVariadicArg(2));
        CLOSE = LINKER.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
        SYNCFS = LINKER.downcallHandle(libc.find("syncfs").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT),
                errno);
        STRERROR = LINKER.downcallHandle(libc.find("strerror").orElseThrow(), FunctionDescriptor.of(ADDRESS, JAVA_INT));
    }

    /** A failed call: its errno, for callers that treat some values as "not supported". */
    static final class ErrnoException extends ToolException {
        private final int errno;

        ErrnoException(String what, int errno) {
            super(what + ": " + strerror(errno) + " (errno " + errno + ")", -1);
            this.errno = errno;
        }

        int errno() {
            return errno;
        }
    }

    /** open(2); {@code what} names the file in the error. */
    static int open(String path, int flags) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(path), flags | O_CLOEXEC);
            if (fd < 0) {
                throw new ErrnoException("cannot open " + path, errno(state));
            }
            return fd;
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new ToolException("cannot open " + path + ": " + t, t);
        }
    }

    static void close(int fd) {
        try {
            int ignored = (int) CLOSE.invokeExact(fd); // nothing to do about a failed close of a read fd
        } catch (Throwable t) {
            throw new IllegalStateException("close(" + fd + ")", t);
        }
    }

    /**
     * ioctl(2) with {@code arg} (may be {@link MemorySegment#NULL}); {@code what} says which request on
     * which file, for the error.
     */
    static void ioctl(int fd, long request, MemorySegment arg, String what) throws IOException {
        int r = ioctlErrno(fd, request, arg);
        if (r != 0) {
            throw new ErrnoException(what, -r);
        }
    }

    /** ioctl(2) returning -errno instead of throwing (for retry loops); 0 on success. */
    static int ioctlErrno(int fd, long request, MemorySegment arg) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            return (int) IOCTL.invokeExact(state, fd, request, arg) == 0 ? 0 : -errno(state);
        } catch (Throwable t) {
            throw new ToolException("ioctl " + request + ": " + t, t);
        }
    }

    static void syncfs(int fd, String what) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            if ((int) SYNCFS.invokeExact(state, fd) != 0) {
                throw new ErrnoException(what, errno(state));
            }
        } catch (IOException e) {
            throw e;
        } catch (Throwable t) {
            throw new ToolException(what + ": " + t, t);
        }
    }

    static String strerror(int errno) {
        try {
            MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
            return s.reinterpret(256).getString(0);
        } catch (Throwable t) {
            return "errno " + errno;
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
