package dev.jvz.copy;

import dev.jvz.image.WriteTracker;
import dev.jvz.image.WriteTracker.Extent;
import dev.jvz.image.WriteTrackerException;
import java.util.List;

/**
 * The part of {@link WriteTracker} a live copy uses, so the pass policy can be tested with a scripted
 * feed. Same contract as the tracker's methods of the same names, including thread-safety:
 * implementations must allow the reader thread to drain while the copy's thread reads the figures.
 */
interface DirtySource {
    long fileSize();

    long trackEnd();

    void setTrackEnd(long pos);

    List<Extent> drain(long maxBytes) throws WriteTrackerException;

    long dirtyBytes();

    int wraps();

    void stop() throws WriteTrackerException;

    void stopForce();

    boolean isRunning();

    /** The real tracker. */
    static DirtySource of(WriteTracker t) {
        return new DirtySource() {
            @Override
            public long fileSize() {
                return t.fileSize();
            }

            @Override
            public long trackEnd() {
                return t.trackEnd();
            }

            @Override
            public void setTrackEnd(long pos) {
                t.setTrackEnd(pos);
            }

            @Override
            public List<Extent> drain(long maxBytes) throws WriteTrackerException {
                return t.drain(maxBytes);
            }

            @Override
            public long dirtyBytes() {
                return t.dirtyBytes();
            }

            @Override
            public int wraps() {
                return t.wraps();
            }

            @Override
            public void stop() throws WriteTrackerException {
                t.stop();
            }

            @Override
            public void stopForce() {
                t.stopForce();
            }

            @Override
            public boolean isRunning() {
                return t.isRunning();
            }
        };
    }
}
