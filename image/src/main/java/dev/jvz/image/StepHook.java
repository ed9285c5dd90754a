package dev.jvz.image;

import java.io.IOException;

/**
 * Called between the durable steps of a multi-step disk operation (snapshot, merge, grow). Tests use
 * it to stop an operation at every step, or to copy the files as a crash at that point would leave
 * them, and prove the disk still reads the same. Production code uses {@link #NONE}.
 */
@FunctionalInterface
interface StepHook {
    StepHook NONE = step -> {};

    /** {@code step} names the point just passed, e.g. "merge: cluster copied". */
    void reached(String step) throws IOException;
}
