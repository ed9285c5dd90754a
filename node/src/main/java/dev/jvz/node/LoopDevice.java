package dev.jvz.node;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * Changes the size limit of a live loop device, which util-linux's losetup cannot do: it is how a
 * mounted disk grows on the nbdfuse path (the FUSE file is larger than the disk; the loop device's
 * limit is the disk's real size). Calls ioctl(2) through the FFM API (loop(4): LOOP_GET_STATUS64,
 * LOOP_SET_STATUS64; the kernel resizes the device when lo_sizelimit changes).
 *
 * <p>Thread-safe: stateless.
 */
final class LoopDevice {
    private LoopDevice() {}

    /** linux/loop.h: _IO(0x4C, 5) and _IO(0x4C, 4). */
    private static final long LOOP_GET_STATUS64 = 0x4C05;
    private static final long LOOP_SET_STATUS64 = 0x4C04;
    /**
     * struct loop_info64: five u64 (device, inode, rdevice, offset, sizelimit), four u32, two 64-byte
     * names, a 32-byte key, two u64: 232 bytes. lo_sizelimit is the fifth u64, at byte 32.
     */
    private static final int LOOP_INFO64_SIZE = 232;
    private static final long SIZELIMIT_OFFSET = 32;
    private static final int O_RDWR = 2;
    private static final int O_CLOEXEC = 0x80000;
    private static final int EAGAIN = 11;
    /** The kernel answers EAGAIN while the device's page cache is being written back; retry briefly. */
    private static final int SET_ATTEMPTS = 50;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CALL_STATE.varHandle(
            java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle OPEN;
    private static final MethodHandle IOCTL;
    private static final MethodHandle CLOSE;

    static {
        SymbolLookup libc = LINKER.defaultLookup();
        Linker.Option errno = Linker.Option.captureCallState("errno");
        OPEN = LINKER.downcallHandle(libc.find("open").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), errno, Linker.Option.firstVariadicArg(2));
        IOCTL = LINKER.downcallHandle(libc.find("ioctl").orElseThrow(),
                FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), errno, Linker.Option.firstVariadicArg(2));
        CLOSE = LINKER.downcallHandle(libc.find("close").orElseThrow(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    }

    /** Sets {@code device}'s size limit to {@code bytes}; the block device then has that size. */
    static void setSizeLimit(String device, long bytes) throws IOException {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(CALL_STATE);
            int fd = (int) OPEN.invokeExact(state, arena.allocateFrom(device), O_RDWR | O_CLOEXEC);
            if (fd < 0) {
                throw new ToolException("cannot open " + device + ": errno " + errno(state), -1);
            }
            try {
                MemorySegment info = arena.allocate(LOOP_INFO64_SIZE, 8);
                if ((int) IOCTL.invokeExact(state, fd, LOOP_GET_STATUS64, info) != 0) {
                    throw new ToolException("LOOP_GET_STATUS64 on " + device + " failed: errno " + errno(state), -1);
                }
                info.set(JAVA_LONG, SIZELIMIT_OFFSET, bytes);
                for (int attempt = 1; ; attempt++) {
                    if ((int) IOCTL.invokeExact(state, fd, LOOP_SET_STATUS64, info) == 0) {
                        return;
                    }
                    int e = errno(state);
                    if (e != EAGAIN || attempt >= SET_ATTEMPTS) {
                        throw new ToolException("cannot resize " + device + " to " + bytes + " bytes (LOOP_SET_STATUS64, "
                                + "errno " + e + ")", -1);
                    }
                    Thread.sleep(20);
                }
            } finally {
                int ignored = (int) CLOSE.invokeExact(fd);
            }
        } catch (IOException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while resizing " + device);
        } catch (Throwable t) {
            throw new ToolException("cannot resize " + device + ": " + t, t);
        }
    }

    private static int errno(MemorySegment state) {
        return (int) ERRNO.get(state, 0L);
    }
}
