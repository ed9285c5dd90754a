package dev.jvz.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * Removes a file a command is still writing when the JVM is stopped (Ctrl-C, SIGTERM) before the
 * command finishes, so an interrupted import or export leaves no half-written image behind.
 * Failures inside the command are cleaned up by the command itself; this only covers the exit
 * that skips {@code finally} blocks.
 *
 * <p>Use as {@code try (PartialFile p = PartialFile.guard(file, owned)) { ...write file... }}.
 * Only a regular file is ever deleted, and only one the command owns: it did not exist before, or
 * the user allowed overwriting it. Thread-safe: the hook runs on the JVM's shutdown thread while
 * the command thread may still be writing; deleting an open file is harmless on Linux.
 */
public final class PartialFile implements AutoCloseable {
    private final Path file;
    private final Thread hook;

    private PartialFile(Path file, boolean owned) {
        this.file = file;
        this.hook = owned ? new Thread(this::deleteOnExit, "jvz-partial-file-cleanup") : null;
        if (hook != null) {
            Runtime.getRuntime().addShutdownHook(hook);
        }
    }

    /**
     * Guards {@code file} until {@link #close()}.
     *
     * @param overwriteAllowed the command may replace an existing regular file (e.g. {@code -f})
     */
    public static PartialFile guard(Path file, boolean overwriteAllowed) {
        boolean owned = !Files.exists(file, LinkOption.NOFOLLOW_LINKS)
                || (overwriteAllowed && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS));
        return new PartialFile(file, owned);
    }

    /** True when the file would be deleted on an interrupted exit. */
    public boolean owned() {
        return hook != null;
    }

    /** Deletes the file now if it is owned and still a regular file (for a command's own failure path). */
    public void deleteIfOwned() throws IOException {
        if (hook != null && Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
            Files.deleteIfExists(file);
        }
    }

    /** The shutdown hook. */
    void deleteOnExit() {
        try {
            deleteIfOwned();
        } catch (IOException e) {
            // Nothing can report this on the way out of the JVM; the user sees the leftover file.
        }
    }

    /** The command finished (successfully or with its own cleanup): keep the file. */
    @Override
    public void close() {
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The JVM is already exiting and the hook is running or has run: nothing to undo.
            }
        }
    }
}
