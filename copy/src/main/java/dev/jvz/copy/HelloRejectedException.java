package dev.jvz.copy;

/**
 * The receiver did not acknowledge the jvz hello (it closed the stream, answered {@code FAILURE\n},
 * or answered something else): it is a legacy ploop receiver. {@link CopySinks#open} then falls back
 * to the legacy stream on a fresh connection.
 */
public final class HelloRejectedException extends CopyProtocolException {
    public HelloRejectedException(String message) {
        super(message);
    }

    public HelloRejectedException(String message, Throwable cause) {
        super(message, cause);
    }
}
