package dev.jvz.copy;

import java.io.IOException;

/**
 * What stops the writers of a live image for the final pass of a copy (PLOOP-FORMAT.md section 3):
 * in a migration, the suspend/stop command ({@code -F STOPCMD}), then syncfs + FIFREEZE on the
 * mounted file system. {@link LiveCopy} calls {@link #freeze()} once, and {@link #thaw()} exactly once
 * after it if {@code freeze()} was called at all (even if it threw: a freeze that failed half-way may
 * have stopped something), on success and on failure alike.
 *
 * <p>Both are called from the thread that runs {@link LiveCopy#run()}.
 */
public interface FreezeStep {
    /** A step that freezes nothing (the writers are already stopped, or a test). */
    FreezeStep NONE = new FreezeStep() {
        @Override
        public void freeze() {
        }

        @Override
        public void thaw() {
        }
    };

    /**
     * Stops every writer of the image and makes what they wrote reach the image (syncfs); returns once
     * no further write can arrive until {@link #thaw()}.
     */
    void freeze() throws IOException;

    /** Lets the writers continue (FITHAW; on failure paths the caller may also resume the container). */
    void thaw() throws IOException;
}
