package dev.jvz.node;

import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * File systems on a block device: mkfs.ext4, mount/umount, resize2fs (the tools), and freeze, thaw,
 * syncfs and the ext4 journal checkpoint (system calls made in-process, see {@link #freeze}).
 *
 * <p>Thread-safe: stateless. Each call has a timeout; failures carry the tool's stderr or the errno.
 */
public final class Fs {
    private Fs() {}

    private static final Duration SHORT = Duration.ofSeconds(30);
    /** mkfs and resize on large images write many metadata blocks through NBD. */
    private static final Duration LONG = Duration.ofMinutes(10);

    /** Formats {@code device} as ext4, as ploop init does by default (lazy init keeps it quick). */
    public static void mkfsExt4(String device) throws IOException {
        Exec.check(LONG, List.of("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", device));
    }

    public static void mount(String device, Path dir, boolean readOnly) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "ext4"));
        if (readOnly) {
            cmd.addAll(List.of("-o", "ro,noload"));
        }
        cmd.add(device);
        cmd.add(dir.toString());
        Exec.check(SHORT, cmd);
    }

    /** Unmounts {@code dir}; with {@code lazy}, detaches it even while busy (cleanup of stale mounts). */
    public static void umount(Path dir, boolean lazy) throws IOException {
        Exec.check(SHORT, lazy ? List.of("umount", "-l", dir.toString()) : List.of("umount", dir.toString()));
    }

    /**
     * FIFREEZE on the file system mounted at {@code dir}: the kernel syncs it (as syncfs does), blocks
     * new writes, and has the file system make itself consistent on disk (ext4 checkpoints its
     * journal), until {@link #thaw}. The ioctl fsfreeze(8) makes, made here: starting fsfreeze took
     * ~3 ms of a live copy's frozen window, twice (freeze and thaw).
     */
    public static void freeze(Path dir) throws IOException {
        onMountPoint(dir, SHORT, "FIFREEZE", fd -> {
            ExpeditedRcu.begin();
            try {
                Libc.ioctl(fd, FIFREEZE, MemorySegment.NULL, "cannot freeze the file system at " + dir + " (FIFREEZE)");
            } finally {
                ExpeditedRcu.end();
            }
        });
    }

    /**
     * Expedited RCU grace periods while a FIFREEZE runs. freeze_super takes the file system's three
     * percpu write locks one after the other, and each waits for an RCU grace period
     * (rcu_sync_enter: kernel stacks sampled during a slow FIFREEZE sat in synchronize_rcu_normal);
     * on this project's 2-CPU VM with a copy and a writer running, a grace period took 15-20 ms and
     * the FIFREEZE 45-60 ms, most of a live copy's frozen window. With /sys/kernel/rcu_expedited set
     * the same freeze took 11-17 ms (BENCHMARKS.md, live copy, frozen window of a mounted disk).
     * The knob is global, so it is set only for the FIFREEZE call itself (nested calls counted, the
     * value found restored by the last one), and only where it is 0 and writable (root); elsewhere
     * nothing changes and the freeze is just slower. While it is set, a marker file holding this
     * process's pid says so, so that a node killed in the middle can put the 0 back when it (or any
     * node) starts again ({@link #recover}). Thread-safe: one lock guards the count.
     */
    static final class ExpeditedRcu {
        private static final Path KNOB = Path.of("/sys/kernel/rcu_expedited");
        /** In /run: gone after a reboot, as the knob's setting is. */
        static final Path MARKER = Path.of("/run/jvz/rcu-expedited-set-by-pid");
        private static final Object LOCK = new Object();
        /** Freezes in progress that asked for it; guarded by LOCK. */
        private static int users;
        /** Whether this node set the knob (it was 0); guarded by LOCK. */
        private static boolean setByUs;

        private ExpeditedRcu() {}

        static void begin() {
            synchronized (LOCK) {
                if (users++ == 0) {
                    try {
                        if ("0".equals(java.nio.file.Files.readString(KNOB).strip())) {
                            java.nio.file.Files.createDirectories(MARKER.getParent());
                            java.nio.file.Files.writeString(MARKER, ProcessHandle.current().pid() + "\n");
                            java.nio.file.Files.writeString(KNOB, "1");
                            setByUs = true;
                        }
                    } catch (IOException | SecurityException e) {
                        setByUs = false; // no such knob, or not root: freeze at normal speed
                    }
                }
            }
        }

        static void end() {
            synchronized (LOCK) {
                if (--users == 0 && setByUs) {
                    setByUs = false;
                    try {
                        java.nio.file.Files.writeString(KNOB, "0");
                        java.nio.file.Files.deleteIfExists(MARKER);
                    } catch (IOException e) {
                        // Left at 1: grace periods stay expedited (more IPIs), nothing breaks; say so.
                        System.getLogger(Fs.class.getName()).log(System.Logger.Level.WARNING,
                                "could not reset " + KNOB + " to 0 after a freeze: " + e.getMessage());
                    }
                }
            }
        }

        /**
         * Puts the knob back to 0 if a node set it and died before it could (its marker names a pid
         * that no longer runs); called when a node starts. Returns whether it did.
         */
        static boolean recover() {
            synchronized (LOCK) {
                try {
                    if (users > 0 || !java.nio.file.Files.exists(MARKER)) {
                        return false;
                    }
                    long pid = Long.parseLong(java.nio.file.Files.readString(MARKER).strip());
                    if (ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        return false; // that node is still freezing: it resets the knob itself
                    }
                    java.nio.file.Files.writeString(KNOB, "0");
                    java.nio.file.Files.deleteIfExists(MARKER);
                    return true;
                } catch (IOException | NumberFormatException e) {
                    return false; // no knob, not root, or a marker this code did not write: leave it
                }
            }
        }

        /** Whether a freeze holds the knob now (tests). */
        static boolean active() {
            synchronized (LOCK) {
                return users > 0;
            }
        }
    }

    /** FITHAW: lets writes to the file system at {@code dir} go on after {@link #freeze}. */
    public static void thaw(Path dir) throws IOException {
        onMountPoint(dir, SHORT, "FITHAW", fd -> Libc.ioctl(fd, FITHAW, MemorySegment.NULL,
                "cannot thaw the file system at " + dir + " (FITHAW)"));
    }

    /** syncfs(2) on the file system that holds {@code dir}. */
    public static void syncfs(Path dir) throws IOException {
        onMountPoint(dir, LONG, "syncfs", fd -> Libc.syncfs(fd, "syncfs of the file system at " + dir));
    }

    /**
     * Empties the journal of the ext4 file system at {@code dir} (EXT4_IOC_CHECKPOINT, Linux 5.13+:
     * metadata written to its final place), so that a {@link #freeze} soon after has less to write:
     * ext4's freeze flushes the journal too (jbd2_journal_flush, seen in kernel stacks sampled during
     * FIFREEZE), and every write goes through the disk's loop, FUSE and NBD hops. Its share of the
     * frozen window was not measured apart from the other changes (BENCHMARKS.md). Writers pause
     * while the checkpoint runs (outside any frozen window). Returns false when the file system has
     * no such ioctl (not ext4, an older kernel): a freeze then does the work itself.
     */
    public static boolean checkpointJournal(Path dir) throws IOException {
        boolean[] done = {true};
        onMountPoint(dir, LONG, "EXT4_IOC_CHECKPOINT", fd -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment flags = arena.allocate(JAVA_INT); // 0: no discard or zeroing of the journal
                Libc.ioctl(fd, EXT4_IOC_CHECKPOINT, flags, "cannot checkpoint the journal at " + dir);
            } catch (Libc.ErrnoException e) {
                if (e.errno() != Libc.ENOTTY && e.errno() != Libc.EOPNOTSUPP) {
                    throw e;
                }
                done[0] = false;
            }
        });
        return done[0];
    }

    /** linux/fs.h: _IOWR('X', 119, int) and _IOWR('X', 120, int). */
    private static final long FIFREEZE = 0xC0045877L;
    private static final long FITHAW = 0xC0045878L;
    /** linux/ext4.h (uapi): _IOW('f', 43, __u32). */
    private static final long EXT4_IOC_CHECKPOINT = 0x4004662BL;

    @FunctionalInterface
    private interface FdCall {
        void run(int fd) throws IOException;
    }

    /**
     * Runs {@code call} on an fd of the directory {@code dir}, on its own thread, waiting at most
     * {@code timeout}: these calls write through the disk's whole stack (loop, FUSE, NBD, this node),
     * and a hung stack must not hang the caller. As with a hung fsfreeze process before, the blocked
     * thread stays blocked in the kernel; the caller gets an error and can go on (and thaw).
     */
    private static void onMountPoint(Path dir, Duration timeout, String what, FdCall call) throws IOException {
        java.util.concurrent.FutureTask<Void> task = new java.util.concurrent.FutureTask<>(() -> {
            int fd = Libc.open(dir.toString(), Libc.O_RDONLY | Libc.O_DIRECTORY);
            try {
                call.run(fd);
            } finally {
                Libc.close(fd);
            }
            return null;
        });
        Thread.ofPlatform().daemon(true).name("jvz-fs-" + what).start(task);
        try {
            task.get(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new ToolException(what + " on " + dir + " did not return within " + timeout.toSeconds() + " s: its"
                    + " disk's device stack (loop, FUSE, NBD, the node) is stuck; the call stays blocked in the kernel", -1);
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw new ToolException(what + " on " + dir + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException(what + " on " + dir + " interrupted");
        }
    }

    /**
     * Grows an unmounted ext4 to fill its device when the device is larger (e2fsck -f first, as
     * resize2fs demands). Does nothing for a file system that already fills it, or that is not ext2/3/4.
     *
     * @return true when it resized
     */
    public static boolean growExt4ToDevice(String device) throws IOException {
        Exec.Result h = Exec.run(SHORT, List.of("dumpe2fs", "-h", device));
        if (h.exitCode() != 0) {
            return false; // not an ext file system (or none yet): nothing to grow
        }
        long blocks = -1;
        long blockSize = -1;
        for (String line : h.stdout().split("\n")) {
            if (line.startsWith("Block count:")) {
                blocks = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            } else if (line.startsWith("Block size:")) {
                blockSize = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        long dev = Long.parseLong(Exec.check(SHORT, List.of("blockdev", "--getsize64", device)).stdout().strip());
        if (blocks < 0 || blockSize <= 0 || dev - blocks * blockSize < blockSize) {
            return false;
        }
        // e2fsck exits 1 when it fixed something, which is fine here; 4 and above mean trouble.
        Exec.Result f = Exec.run(LONG, List.of("e2fsck", "-f", "-p", device));
        if (f.exitCode() >= 4) {
            throw new ToolException("'e2fsck -f -p " + device + "' found errors it cannot fix (exit " + f.exitCode()
                    + "): " + f.stdout().strip() + " " + f.stderr().strip(), f.exitCode());
        }
        resize(device);
        return true;
    }

    /** Grows a mounted ext4 to fill its (already grown) device: online resize. */
    public static void resize(String device) throws IOException {
        Exec.check(LONG, List.of("resize2fs", device));
    }
}
