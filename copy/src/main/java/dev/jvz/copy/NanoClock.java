package dev.jvz.copy;

/** A monotonic clock in nanoseconds: {@link System#nanoTime()}, or a fake one in tests. */
@FunctionalInterface
public interface NanoClock {
    /** The system's monotonic clock. */
    NanoClock SYSTEM = System::nanoTime;

    long nanoTime();
}
