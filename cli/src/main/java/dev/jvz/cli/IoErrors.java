package dev.jvz.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Makes a write failure name the file it concerns. The JDK reports ENOSPC as a bare
 * "No space left on device"; a user needs to know which file system filled up. Stateless and thread-safe.
 */
public final class IoErrors {
    private IoErrors() {}

    /** True when {@code e} is the kernel's ENOSPC (the JDK exposes it only as strerror text). */
    public static boolean isDiskFull(IOException e) {
        String m = e.getMessage();
        return m != null && m.toLowerCase(Locale.ROOT).contains("no space left on device");
    }

    /**
     * {@code e} itself, or for a disk-full error that does not name {@code target}, a new
     * IOException "TARGET: No space left on device" with {@code e} as its cause.
     */
    public static IOException namingTarget(Path target, IOException e) {
        if (isDiskFull(e) && !e.getMessage().contains(target.toString())) {
            return new IOException(target + ": " + e.getMessage(), e);
        }
        return e;
    }
}
