package dev.jvz.cli;

/**
 * A failure that is neither an image nor a file problem and carries its own exit code from
 * {@link ExitCodes}, e.g. "mkfs.ext4 failed" ({@link ExitCodes#MKFS}). The message says what is
 * wrong and what to do, like every jvz error. Immutable.
 */
public class CliException extends Exception {
    private final int exitCode;

    public CliException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public CliException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public int exitCode() {
        return exitCode;
    }
}
