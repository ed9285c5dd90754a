package dev.jvz.node;

import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Changes the size limit of a live loop device, which util-linux's losetup cannot do: it is how a
 * mounted disk grows on the nbdfuse path (the FUSE file is larger than the disk; the loop device's
 * limit is the disk's real size). Calls ioctl(2) through the FFM API (loop(4): LOOP_GET_STATUS64,
 * LOOP_SET_STATUS64; the kernel resizes the device when lo_sizelimit changes), via {@link Libc}.
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
    private static final int EAGAIN = 11;
    /** The kernel answers EAGAIN while the device's page cache is being written back; retry briefly. */
    private static final int SET_ATTEMPTS = 50;

    /** Sets {@code device}'s size limit to {@code bytes}; the block device then has that size. */
    static void setSizeLimit(String device, long bytes) throws IOException {
        int fd = Libc.open(device, Libc.O_RDWR);
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment info = arena.allocate(LOOP_INFO64_SIZE, 8);
            Libc.ioctl(fd, LOOP_GET_STATUS64, info, "LOOP_GET_STATUS64 on " + device);
            info.set(JAVA_LONG, SIZELIMIT_OFFSET, bytes);
            for (int attempt = 1; ; attempt++) {
                int r = Libc.ioctlErrno(fd, LOOP_SET_STATUS64, info);
                if (r == 0) {
                    return;
                }
                if (-r != EAGAIN || attempt >= SET_ATTEMPTS) {
                    throw new Libc.ErrnoException("cannot resize " + device + " to " + bytes + " bytes (LOOP_SET_STATUS64)",
                            -r);
                }
                Thread.sleep(20);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while resizing " + device);
        } finally {
            Libc.close(fd);
        }
    }
}
