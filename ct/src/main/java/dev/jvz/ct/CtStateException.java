package dev.jvz.ct;

/**
 * The container is in the wrong state for the command: running when it must be stopped, and so on.
 * {@link #state()} tells the CLI which vzctl-style exit code to use.
 */
public class CtStateException extends CtException {
    /** The state that made the command refuse. */
    public enum State {
        /** Exists already (create). */
        EXISTS,
        /** Running or suspended where it must be stopped. */
        RUNNING,
        /** Not running where it must run. */
        NOT_RUNNING,
        /** Mounted where it must be unmounted. */
        MOUNTED,
        /** Not mounted where it must be. */
        NOT_MOUNTED
    }

    private final State state;

    public CtStateException(State state, String message) {
        super(message);
        this.state = state;
    }

    public State state() {
        return state;
    }
}
