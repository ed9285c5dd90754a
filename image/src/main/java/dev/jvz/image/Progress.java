package dev.jvz.image;

/** Told how far a long operation has got; called from the working thread, so keep it cheap. */
@FunctionalInterface
public interface Progress {
    Progress NONE = (done, total) -> {};

    void update(long doneBytes, long totalBytes);
}
