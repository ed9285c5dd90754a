package dev.jvz.ct;

/** A runc call failed or did not finish in time; the message carries the command and runc's stderr. */
public class RuncException extends CtException {
    public RuncException(String message) {
        super(message);
    }

    public RuncException(String message, Throwable cause) {
        super(message, cause);
    }
}
