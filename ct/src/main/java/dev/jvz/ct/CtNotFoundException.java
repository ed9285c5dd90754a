package dev.jvz.ct;

/** The container does not exist (no CTID.conf). */
public class CtNotFoundException extends CtException {
    public CtNotFoundException(String message) {
        super(message);
    }
}
