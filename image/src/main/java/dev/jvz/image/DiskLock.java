package dev.jvz.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The exclusive lock of one disk: {@code DiskDescriptor.xml.lck} beside the descriptor.
 *
 * <p>Two layers, as jib's LockFile does: an in-process set of held lock paths (so two threads of
 * one JVM fail cleanly instead of tripping {@link OverlappingFileLockException}), then
 * {@link FileChannel#tryLock()} against other processes. The kernel drops the file lock when its
 * process dies, so a crashed command never leaves a stale lock. The holder's pid is written into
 * the file only to make the "locked" message helpful.
 *
 * <p>Thread-safety: {@link #HELD} is a concurrent set; an instance is closed once.
 */
final class DiskLock implements AutoCloseable {
    static final String SUFFIX = ".lck";
    /** Absolute, normalized lock paths held by this JVM. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path path;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean closed;

    private DiskLock(Path path, FileChannel channel, FileLock lock) {
        this.path = path;
        this.channel = channel;
        this.lock = lock;
    }

    /** Locks the disk whose descriptor is {@code descriptor}, or fails at once if someone holds it. */
    static DiskLock acquire(Path descriptor) throws IOException, ImageLockedException {
        // Keyed by the real directory: a second path to the same disk (a symlink) must hit HELD and never
        // open the lock file, because closing any descriptor of a file drops this process's POSIX locks on it.
        Path lck = descriptor.toAbsolutePath().getParent().toRealPath().resolve(descriptor.getFileName() + SUFFIX);
        if (!HELD.add(lck)) {
            throw locked(descriptor, "this process");
        }
        FileChannel ch = null;
        try {
            ch = FileChannel.open(lck, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock l;
            try {
                l = ch.tryLock();
            } catch (OverlappingFileLockException e) {
                l = null; // another FileChannel of this JVM outside jvz's Disk: still "locked"
            }
            if (l == null) {
                String holder = readHolder(lck);
                ch.close();
                HELD.remove(lck);
                throw locked(descriptor, holder);
            }
            ch.truncate(0);
            ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII)), 0);
            return new DiskLock(lck, ch, l);
        } catch (IOException | RuntimeException e) {
            if (ch != null && ch.isOpen()) {
                ch.close();
            }
            HELD.remove(lck);
            throw e;
        }
    }

    private static String readHolder(Path lck) {
        try {
            String s = Files.readString(lck, StandardCharsets.US_ASCII).strip();
            return s.matches("\\d{1,10}") ? "pid " + s : "pid unknown";
        } catch (IOException e) {
            return "pid unknown";
        }
    }

    private static ImageLockedException locked(Path descriptor, String holder) {
        return new ImageLockedException(descriptor + " is locked by another jvz command (" + holder
                + "); wait for it to finish and try again");
    }

    Path path() {
        return path;
    }

    /** Releases the lock; the lock file stays (removing it would race with a waiting locker). */
    @Override
    public synchronized void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            lock.release();
        } finally {
            try {
                channel.close();
            } finally {
                HELD.remove(path);
            }
        }
    }
}
