package dev.jvz.copy;

import dev.jvz.image.WriteTracker.Extent;
import dev.jvz.image.WriteTrackerException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntFunction;

/**
 * A fake tracker feed: dirty pass k (k = 0 for the one after the linear pass) reports the extents
 * {@code script} gives for k, which stand for what the writers dirtied during the pass before. Set k
 * is known from the end of pass k + 1 (k = 0: from the start); once it is drained, the next drain
 * asks for set k + 1 and, if it is not empty, counts a wrap, like the real tracker's cursor going back
 * to 0. While {@link #frozen} is set, the writers are stopped: later sets are empty.
 *
 * <p>Thread-safety: synchronized; the reader thread drains while the copy thread asks for figures.
 */
final class ScriptedDirty implements DirtySource {
    private long fileSize;
    /** Bytes the file grows by at every setTrackEnd while not frozen (a writer allocating new clusters), up to maxFile. */
    long growPerSetTrackEnd;
    long maxFile;
    private final IntFunction<List<Extent>> script;
    private final List<Extent> current = new ArrayList<>();
    private int passIndex;
    private long trackEnd;
    private int wraps;
    private boolean running = true;
    volatile boolean frozen;
    int stops;

    ScriptedDirty(long fileSize, IntFunction<List<Extent>> script) {
        this.fileSize = fileSize;
        this.script = script;
        current.addAll(script.apply(passIndex++));
    }

    @Override
    public synchronized long fileSize() {
        return fileSize;
    }

    @Override
    public synchronized long trackEnd() {
        return trackEnd;
    }

    @Override
    public synchronized void setTrackEnd(long pos) {
        trackEnd = pos;
        if (!frozen && growPerSetTrackEnd > 0) {
            fileSize = Math.min(maxFile, fileSize + growPerSetTrackEnd);
        }
    }

    private static long bytes(List<Extent> l) {
        return l.stream().mapToLong(Extent::length).sum();
    }

    @Override
    public synchronized List<Extent> drain(long maxBytes) throws WriteTrackerException {
        if (current.isEmpty()) {
            if (!frozen) {
                current.addAll(script.apply(passIndex++));
            }
            if (current.isEmpty()) {
                return List.of();
            }
            wraps++;
        }
        List<Extent> out = new ArrayList<>();
        long left = maxBytes;
        while (!current.isEmpty() && current.getFirst().length() <= left) {
            Extent e = current.removeFirst();
            out.add(e);
            left -= e.length();
        }
        return out;
    }

    @Override
    public synchronized long dirtyBytes() {
        return bytes(current) + Math.max(0, fileSize - trackEnd);
    }

    @Override
    public synchronized int wraps() {
        return wraps;
    }

    @Override
    public synchronized void stop() throws WriteTrackerException {
        if (dirtyBytes() > 0) {
            throw new WriteTrackerException("scripted: " + dirtyBytes() + " bytes still dirty");
        }
        running = false;
        stops++;
    }

    @Override
    public synchronized void stopForce() {
        running = false;
        stops++;
    }

    @Override
    public synchronized boolean isRunning() {
        return running;
    }
}
