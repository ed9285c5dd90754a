package dev.jvz.image;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import org.roaringbitmap.RoaringBitmap;

/**
 * Records which byte ranges of the top delta's <em>file</em> change while that file is copied live
 * (ploop copy, PLOOP-FORMAT.md section 3). Offsets are image-file offsets (data clusters, BAT pages,
 * header), not virtual-disk offsets: the copy reproduces the file.
 *
 * <p>The model is the kernel ploop tracker (PLOOP_IOC_TRACK_INIT/SETPOS/READ/STOP, drivers/block/ploop/
 * tracker.c) as driven by ploop's lib/ploop-copy.c:
 * <ul>
 *   <li><b>track end</b>: how far the copier has read. A write that starts below it is recorded as
 *       dirty, rounded outward to whole granules; the part at or past it is not recorded, because the
 *       copy has not read it yet and will.
 *   <li><b>file end</b>: the allocated end of the file at start (ploop's alloc_head: a leaked tail
 *       left by a crash is not data), raised by every write past it. When the file has
 *       grown past the track end, {@code [trackEnd, fileEnd)} is the unsent tail: it is reported as a
 *       dirty extent once no recorded extent is left ahead of the cursor (ploop reports
 *       {@code [track_end, alloc_head)} the same way), and reporting it moves the track end past it
 *       (ploop's sender moves it with SETPOS before reading; here the tracker does it).
 *   <li><b>cursor</b>: each {@link #nextDirty} continues where the last extent ended and wraps to
 *       offset 0 only once the tail is sent (ploop's track_ptr). A wrap starts a new pass; the copier
 *       sees it as an extent starting below the previous one, and {@link #wraps()} counts them.
 *   <li>Reading an extent removes it. {@link #stop()} fails while anything is dirty.
 * </ul>
 * Since track end 0 makes the whole file the tail, a copier can do the linear first pass with
 * {@link #nextDirty(long)} alone; or, as ploop does, read linearly and call {@link #setTrackEnd}
 * with the end of each chunk <em>before</em> reading it.
 *
 * <p>Why no write is lost: the delta calls the listener after the bytes are in the file. A copier
 * that reads an extent's bytes only after {@code nextDirty} returned it (or after {@code setTrackEnd}
 * covered them) either sees a write's bytes, or the write's notification comes after the removal
 * and records the range again.
 *
 * <p>Differences from ploop, on purpose: granules (default 4 KiB) instead of whole clusters, so a
 * 4 KiB random write costs 4 KiB of resend instead of 1 MiB; {@code stop()} also refuses while the
 * tail is unsent (it would be a lost range all the same); {@code nextDirty(max)} caps the length of
 * an extent and leaves the rest dirty.
 *
 * <p>The dirty set is a {@link RoaringBitmap} of granule indexes: runs of written granules compress
 * to run containers, and add/remove/next-set/next-clear of ranges cost O(containers touched).
 *
 * <p>Thread-safety: safe for concurrent use. Writers (NBD connections) call the listener from many
 * threads while one copy thread calls {@code nextDirty}. {@link #lock} guards every mutable field;
 * it is held only for in-memory bitmap updates, never across I/O. The listener may run under the
 * delta's lock; the tracker never calls into the delta while holding its own lock (start and stop
 * install and remove the listener outside it), so the two locks cannot deadlock. While a tracker
 * runs, nothing else may call {@link Image#setTopWriteListener}: that would detach it silently.
 */
public final class WriteTracker implements AutoCloseable {
    /** Default granule: the page size, and the usual file-system block written by a guest. */
    public static final int DEFAULT_GRANULARITY = 4096;
    /** Smallest granule: a sector, the unit of every ploop offset. */
    public static final int MIN_GRANULARITY = PloopFormat.SECTOR_SIZE;
    /** Granule indexes are unsigned 32-bit in a {@link RoaringBitmap}. */
    static final long MAX_GRANULES = 1L << 32;

    /**
     * A byte range of the image file, {@code [offset, offset + length)}.
     *
     * @param offset file offset, not negative
     * @param length positive
     */
    public record Extent(long offset, long length) {
        public Extent {
            if (offset < 0 || length <= 0 || offset + length < 0) {
                throw new IllegalArgumentException("extent [" + offset + ", +" + length + ") is invalid");
            }
        }

        public long end() {
            return offset + length;
        }
    }

    private final Image image;
    private final Delta delta;
    private final int granularity;
    private final int shift;
    private final DeltaWriteListener listener = this::written;

    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}: granules written below the track end and not read since. */
    private final RoaringBitmap dirty = new RoaringBitmap();
    /** Guarded by {@link #lock}: file position the copy has reached. */
    private long trackEnd;
    /** Guarded by {@link #lock}: highest file position known to hold data (allocation end at start, or written). */
    private long fileEnd;
    /** Guarded by {@link #lock}: granule where the next search starts (ploop's track_ptr). */
    private long cursor;
    /** Guarded by {@link #lock}: end of the extent reported last (a lower start is a wrap). */
    private long lastEnd;
    /** Guarded by {@link #lock}: times a reported extent started below the previous one's end. */
    private int wraps;
    /** Guarded by {@link #lock}: a write fell past what the bitmap can index; the copy must restart. */
    private String abortReason;
    /** Guarded by {@link #lock}: after stop, writes are no longer recorded. */
    private boolean stopped;

    private WriteTracker(Image image, int granularity) {
        this.image = image;
        this.delta = image.topDelta();
        this.granularity = granularity;
        this.shift = Integer.numberOfTrailingZeros(granularity);
    }

    /** Starts tracking with {@link #DEFAULT_GRANULARITY} (or the cluster size, if that is smaller). */
    public static WriteTracker start(Image image) throws IOException, WriteTrackerException {
        return start(image, (int) Math.min(DEFAULT_GRANULARITY, image.clusterBytes()));
    }

    /**
     * Starts tracking writes to the top delta's file of {@code image}. The track end is 0: the whole
     * file counts as unsent until the copy reads it.
     *
     * @param granularityBytes unit of dirty tracking: a power of two from 512 to the cluster size
     * @throws WriteTrackerException if another tracker already watches this image
     */
    public static WriteTracker start(Image image, int granularityBytes) throws IOException, WriteTrackerException {
        Objects.requireNonNull(image, "image");
        if (granularityBytes < MIN_GRANULARITY || Integer.bitCount(granularityBytes) != 1
                || granularityBytes > image.clusterBytes()) {
            throw new IllegalArgumentException("granularityBytes: " + granularityBytes + " (expected: a power of two from "
                    + MIN_GRANULARITY + " to the cluster size " + image.clusterBytes() + ")");
        }
        Delta d = image.topDelta();
        PloopHeader h = d.header();
        // The file never holds more than header + BAT + one cluster per BAT entry (+ a leaked tail).
        long maxFile = Math.max(d.fileSize(), (h.dataStartCluster() + h.batEntries() + 1) * h.clusterBytes());
        if (Math.ceilDiv(maxFile, granularityBytes) > MAX_GRANULES) {
            long need = Long.highestOneBit(Math.ceilDiv(maxFile, MAX_GRANULES) - 1) << 1;
            throw new IllegalArgumentException("granularity " + granularityBytes + " is too fine for " + d.path()
                    + " (its file may reach " + maxFile + " bytes); use at least " + Math.max(need, MIN_GRANULARITY));
        }
        WriteTracker t = new WriteTracker(image, granularityBytes);
        if (!d.compareAndSetListener(null, t.listener)) {
            throw new WriteTrackerException(d.path() + ": a write tracker (or another write listener) is already "
                    + "watching this image; stop it before starting another");
        }
        // Read the end after installing the listener: a write that landed before is inside it, one
        // after raises fileEnd itself. The allocation end, not the file size, as ploop's TRACK_INIT
        // (alloc_head): a leaked tail left by a crash is not data, and the next allocation cuts it,
        // which the tracker could not see if it had counted (and sent) it.
        long size = d.allocationEnd();
        t.lock.lock();
        try {
            t.fileEnd = Math.max(t.fileEnd, size);
        } finally {
            t.lock.unlock();
        }
        return t;
    }

    /** Called by the delta after {@code [off, off + len)} of its file was written (tests call it too). */
    void written(long off, long len) {
        if (len <= 0) {
            return;
        }
        long end = off + len;
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            if (end > fileEnd) {
                fileEnd = end;
            }
            if (off < trackEnd) {
                long first = off >>> shift;
                long last = Math.ceilDiv(Math.min(end, trackEnd), (long) granularity);
                if (last > MAX_GRANULES) {
                    abortReason = "a write at file offset " + off + " lies past the " + MAX_GRANULES
                            + " granules a tracker indexes";
                    return;
                }
                dirty.add(first, last);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The granule in bytes. */
    public int granularity() {
        return granularity;
    }

    /** The image whose top delta is tracked. */
    public Image image() {
        return image;
    }

    /** The file position the copy has reached: writes at or past it are not recorded. */
    public long trackEnd() {
        lock.lock();
        try {
            return trackEnd;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Moves the track end forward to {@code pos}; or, with 0, restarts from scratch: every recorded
     * extent is forgotten and the whole file is unsent again.
     *
     * <p>The caller's promise: after this call it reads every byte below {@code pos} it has not read
     * since the previous call, up to the file's real end at read time, which may lie past
     * {@link #fileSize()} (a write can land before the tracker hears of it). ploop's linear pass does
     * exactly this: SETPOS to pos + chunk, then pread a whole chunk. Reading only up to an end known
     * earlier would skip such bytes for good.
     *
     * @throws IllegalArgumentException if {@code pos} is below the current track end and not 0
     */
    public void setTrackEnd(long pos) {
        lock.lock();
        try {
            if (pos < 0 || (pos < trackEnd && pos != 0)) {
                throw new IllegalArgumentException("track end can only move forward (now " + trackEnd
                        + ", asked " + pos + "), or back to 0 to restart the copy");
            }
            if (pos == 0) {
                dirty.clear();
                cursor = 0;
                lastEnd = 0;
                wraps = 0;
                abortReason = null;
            }
            trackEnd = pos;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Highest file position known to hold data: the allocation end at start (the file size, unless a
     * crash left a leaked tail), raised by every write past it. The copy's file size.
     */
    public long fileSize() {
        lock.lock();
        try {
            return fileEnd;
        } finally {
            lock.unlock();
        }
    }

    /**
     * How many times a reported extent started below the end of the one before: the passes after the
     * first (ploop's sender counts iterations the same way).
     */
    public int wraps() {
        lock.lock();
        try {
            return wraps;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes still to send: recorded granules (whole) plus the unsent tail past the track end. */
    public long dirtyBytes() {
        lock.lock();
        try {
            return (dirty.getLongCardinality() << shift) + Math.max(0, fileEnd - trackEnd);
        } finally {
            lock.unlock();
        }
    }

    /** The next dirty extent, whole (see {@link #nextDirty(long)}). */
    public Optional<Extent> nextDirty() throws WriteTrackerException {
        return nextDirty(Long.MAX_VALUE);
    }

    /**
     * Removes and returns the next dirty extent: the run of recorded granules at or after the cursor;
     * else the unsent tail (the track end moves past it, the cursor goes back to 0); else, if the
     * cursor is not at 0, the first run from offset 0 (a wrap); else nothing. Read the extent's bytes
     * from the file after this returns, not before.
     *
     * @param maxBytes longest extent wanted, at least one granule; the rest of a longer run stays dirty
     * @throws WriteTrackerException if tracking was aborted (the copy must restart from scratch)
     */
    public Optional<Extent> nextDirty(long maxBytes) throws WriteTrackerException {
        if (maxBytes < granularity) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: at least the granularity "
                    + granularity + ")");
        }
        lock.lock();
        try {
            requireNotAborted();
            return Optional.ofNullable(nextLocked(maxBytes, true));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes and returns dirty extents until {@code maxBytes} (rounded down to whole granules) are
     * taken or the pass ends: sorted, adjacent ones merged. Going back to a lower offset happens only
     * as the first step, so one call never returns extents of two passes. Empty when nothing is dirty.
     *
     * @throws WriteTrackerException if tracking was aborted (the copy must restart from scratch)
     */
    public List<Extent> drain(long maxBytes) throws WriteTrackerException {
        if (maxBytes < granularity) {
            throw new IllegalArgumentException("maxBytes: " + maxBytes + " (expected: at least the granularity "
                    + granularity + ")");
        }
        List<Extent> out = new ArrayList<>();
        lock.lock();
        try {
            requireNotAborted();
            long left = maxBytes;
            while (left >= granularity) {
                Extent e = nextLocked(left, out.isEmpty());
                if (e == null) {
                    break;
                }
                left -= e.length();
                Extent prev = out.isEmpty() ? null : out.getLast();
                if (prev != null && prev.end() == e.offset()) {
                    out.set(out.size() - 1, new Extent(prev.offset(), prev.length() + e.length()));
                } else {
                    out.add(e);
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    private Extent nextLocked(long maxBytes, boolean mayWrap) {
        long maxGranules = Math.max(1, maxBytes >>> shift);
        long g = cursor < MAX_GRANULES ? dirty.nextValue((int) cursor) : -1;
        boolean tailSent = trackEnd >= fileEnd;
        if (g < 0 && tailSent && cursor != 0) {
            g = dirty.nextValue(0); // ploop wraps only once the tail is sent
        }
        if (g < 0 && tailSent) {
            cursor = 0;
            return null;
        }
        long off = g < 0 ? trackEnd : g << shift;
        if (off < lastEnd) {
            if (!mayWrap) {
                return null;
            }
            wraps++;
        }
        if (g < 0) {
            long len = Math.min(fileEnd - trackEnd, maxGranules << shift);
            trackEnd += len;
            lastEnd = trackEnd;
            // Continue the tail on the next call; wrap to offset 0 only once all of it is sent (as ploop
            // does): nothing is recorded at or past the track end, so the cursor finds the tail again.
            cursor = trackEnd >>> shift;
            return new Extent(off, len);
        }
        long runEnd = dirty.nextAbsentValue((int) g);
        if (runEnd < 0 || runEnd > MAX_GRANULES) {
            runEnd = MAX_GRANULES;
        }
        long n = Math.min(runEnd - g, maxGranules);
        dirty.remove(g, g + n);
        cursor = g + n;
        // Granules are whole, but never report past the data: reading there would hit EOF. A recorded
        // granule always starts below fileEnd (it was written), so the extent stays non-empty.
        long end = Math.max(Math.min((g + n) << shift, fileEnd), off + 1);
        lastEnd = end;
        return new Extent(off, end - off);
    }

    private void requireNotAborted() throws WriteTrackerException {
        if (abortReason != null) {
            throw new WriteTrackerException(delta.path() + ": write tracking was aborted (" + abortReason
                    + "); restart the copy with setTrackEnd(0) or a new tracker");
        }
    }

    /**
     * Stops tracking. Fails, leaving the tracker running, while any extent is unread: a copy would miss
     * it. Writes after a successful stop are not recorded (freeze the writers first).
     *
     * @throws WriteTrackerException if dirty extents or an unsent tail remain, or tracking was aborted
     */
    public void stop() throws WriteTrackerException {
        lock.lock();
        try {
            if (stopped) {
                return;
            }
            requireNotAborted();
            if (!dirty.isEmpty() || trackEnd < fileEnd) {
                throw new WriteTrackerException(delta.path() + ": " + dirtyBytes() + " bytes are still dirty ("
                        + dirty.getLongCardinality() + " granules recorded, tail [" + Math.min(trackEnd, fileEnd)
                        + ", " + fileEnd + ") unsent); read them with nextDirty() before stop(), or call "
                        + "stopForce() to abandon the copy");
            }
            stopped = true;
        } finally {
            lock.unlock();
        }
        delta.compareAndSetListener(listener, null);
    }

    /** Stops tracking whatever remains dirty (cleanup paths: the copy is abandoned). Idempotent. */
    public void stopForce() {
        lock.lock();
        try {
            stopped = true;
            dirty.clear();
        } finally {
            lock.unlock();
        }
        delta.compareAndSetListener(listener, null);
    }

    /** True until {@link #stop()} or {@link #stopForce()} succeeded. */
    public boolean isRunning() {
        lock.lock();
        try {
            return !stopped;
        } finally {
            lock.unlock();
        }
    }

    /** Same as {@link #stopForce()}: for try-with-resources on paths that may fail. */
    @Override
    public void close() {
        stopForce();
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "WriteTracker[" + delta.path() + ", granularity " + granularity + ", trackEnd " + trackEnd
                    + ", fileEnd " + fileEnd + ", dirty granules " + dirty.getLongCardinality()
                    + (stopped ? ", stopped" : "") + "]";
        } finally {
            lock.unlock();
        }
    }
}
