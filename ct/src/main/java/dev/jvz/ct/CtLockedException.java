package dev.jvz.ct;

/** Another command holds the container's lock. */
public class CtLockedException extends CtException {
    public CtLockedException(String message) {
        super(message);
    }
}
