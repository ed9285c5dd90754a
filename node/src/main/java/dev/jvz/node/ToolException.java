package dev.jvz.node;

import java.io.IOException;

/** An external tool (mount, losetup, nbdfuse, mkfs.ext4...) failed; the message carries its stderr. */
public class ToolException extends IOException {
    private final int exitCode;

    public ToolException(String message, int exitCode) {
        super(message);
        this.exitCode = exitCode;
    }

    public ToolException(String message, Throwable cause) {
        super(message, cause);
        this.exitCode = -1;
    }

    /** The tool's exit code, or -1 when it did not exit (timeout, not found). */
    public int exitCode() {
        return exitCode;
    }
}
