package dev.jvz.ct;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One container's lock: a file {@code LOCK_DIR/CTID.lck} locked with {@code flock}-style
 * {@link FileChannel#lock} (released by the kernel when the holder dies, so a crash never leaves a
 * container locked), holding the holder's pid and command for the "locked by" message. An in-process
 * lock per file comes first, because two threads of one JVM cannot both hold a FileChannel lock
 * (the JDK throws OverlappingFileLockException instead of waiting).
 *
 * <p>Thread-safe. An instance is held by one thread and released with {@link #close}.
 */
final class CtLock implements AutoCloseable {
    private static final ConcurrentHashMap<Path, ReentrantLock> IN_PROCESS = new ConcurrentHashMap<>();
    private static final long POLL_MS = 50;

    private final ReentrantLock local;
    private final FileChannel channel;
    private final FileLock lock;

    private CtLock(ReentrantLock local, FileChannel channel, FileLock lock) {
        this.local = local;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Takes {@code ctid}'s lock, waiting up to {@code wait} for a holder to finish.
     *
     * @param command what the holder does, for others' messages ("jvz ctl start")
     */
    static CtLock acquire(Path lockDir, String ctid, String command, Duration wait) throws CtException {
        Path file = lockDir.resolve(ctid + ".lck").toAbsolutePath().normalize();
        ReentrantLock local = IN_PROCESS.computeIfAbsent(file, k -> new ReentrantLock());
        long deadline = System.nanoTime() + wait.toNanos();
        try {
            if (!local.tryLock(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                throw locked(ctid, file, "another thread of this process (" + ProcessHandle.current().pid() + ")");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtLockedException("interrupted while waiting for the lock of container " + ctid);
        }
        FileChannel ch = null;
        try {
            Files.createDirectories(lockDir);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            while (true) {
                FileLock l = ch.tryLock();
                if (l != null) {
                    ch.truncate(0);
                    ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + " " + command + "\n")
                            .getBytes(StandardCharsets.UTF_8)), 0);
                    ch.force(false);
                    return new CtLock(local, ch, l);
                }
                if (System.nanoTime() > deadline) {
                    throw locked(ctid, file, holder(file));
                }
                Thread.sleep(POLL_MS);
            }
        } catch (IOException e) {
            closeQuietly(ch);
            local.unlock();
            throw new CtException("cannot lock container " + ctid + " (" + file + "): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            closeQuietly(ch);
            local.unlock();
            Thread.currentThread().interrupt();
            throw new CtLockedException("interrupted while waiting for the lock of container " + ctid);
        } catch (CtException e) {
            closeQuietly(ch);
            local.unlock();
            throw e;
        }
    }

    private static CtLockedException locked(String ctid, Path file, String holder) {
        return new CtLockedException("container " + ctid + " is locked by " + holder
                + "; try again when it finishes (lock file " + file + ")");
    }

    /** "pid 1234 (jvz ctl start)" from the lock file, or a neutral phrase if it cannot be read. */
    static String holder(Path file) {
        try {
            String s = Files.readString(file, StandardCharsets.UTF_8).strip();
            int sp = s.indexOf(' ');
            if (sp > 0) {
                return "pid " + s.substring(0, sp) + " (" + s.substring(sp + 1) + ")";
            }
            return s.isEmpty() ? "another command" : "pid " + s;
        } catch (IOException e) {
            return "another command";
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // closing a lock file that was never locked: nothing to undo
            }
        }
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // The kernel drops the lock with the descriptor; closing cannot leave it held.
        } finally {
            local.unlock();
        }
    }
}
