package dev.jvz.copy;

import java.io.IOException;

/**
 * The receiver reported a failure (legacy {@code FAILURE\n}, or a jvz ERROR reply carrying its
 * message). Look at the receiver's log or message; its partial file is removed unless it was
 * started with keep.
 */
public final class RemoteFailureException extends IOException {
    public RemoteFailureException(String message) {
        super(message);
    }
}
