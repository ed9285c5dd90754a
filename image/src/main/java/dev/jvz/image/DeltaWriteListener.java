package dev.jvz.image;

/**
 * Told of every byte range of a delta file that was written (data, BAT pages, header), after the
 * write. The write tracker is one. Called on the writing thread, possibly under the delta's lock:
 * implementations must be quick and must not call back into the delta.
 */
@FunctionalInterface
public interface DeltaWriteListener {
    void written(long fileOffset, long length);
}
