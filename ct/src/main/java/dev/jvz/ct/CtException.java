package dev.jvz.ct;

/**
 * A container operation failed. The message says what went wrong and what to do next
 * ("container 101 is running; stop it first with 'jvz ctl stop 101'"). Subclasses name the
 * failures a caller maps to distinct exit codes.
 */
public class CtException extends Exception {
    public CtException(String message) {
        super(message);
    }

    public CtException(String message, Throwable cause) {
        super(message, cause);
    }
}
