package dev.jvz.copy;

import dev.jvz.image.ImageException;

/**
 * A live copy failed. The message names the step (pass, sync, freeze, final pass, finish) and what to
 * do; the cause, when there is one, is the original failure (the sink's IOException, the freeze
 * step's, a read error). When this is thrown the source has been thawed (if it was frozen) and its
 * write tracker stopped; the sink was not finished and should be closed, which drops the partial copy.
 */
public class LiveCopyException extends ImageException {
    public LiveCopyException(String message) {
        super(message);
    }

    public LiveCopyException(String message, Throwable cause) {
        super(message, cause);
    }
}
