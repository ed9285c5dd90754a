package dev.jvz.node;

/**
 * The node refused or failed a request. {@link #kind()} tells the CLI which exit code to use; the
 * message says what went wrong and what to do.
 */
public class NodeException extends Exception {
    /** Broad failure classes a caller acts on differently. */
    public enum Kind {
        /** Bad arguments (not absolute, not a directory...). */
        INVALID,
        /** The image, mount point or disk is not known / not found. */
        NOT_FOUND,
        /** Already mounted, mount point busy, disk locked by another command. */
        BUSY,
        /** The image is marked in use and needs a check. */
        IN_USE,
        /** The image is damaged. */
        CORRUPTED,
        /** An external tool failed (mount, losetup, nbdfuse, resize2fs...). */
        TOOL,
        /** A live copy failed: the stream broke, the receiver refused or reported a failure, checksums differ. */
        COPY,
        /** The node is not running / cannot be reached. */
        UNREACHABLE,
        /** Any other I/O failure. */
        IO
    }

    private final Kind kind;

    public NodeException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public NodeException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
