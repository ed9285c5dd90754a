package dev.jvz.ct;

import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;

/**
 * One OS template cache, {@code TEMPLATE/cache/NAME.tar.gz}, and how to boot what it holds.
 *
 * <p>The boot contract comes from {@code /etc/jvz-template} inside the cache (the first member of
 * every cache jvz writes): start {@link #init} as the container's PID 1 with no terminal, stop it
 * with {@code runc kill ID} {@link #stopSignal}; the init then exits within about a second
 * ({@link Templates#STOP_GRACE}), and a caller that still sees it running after that plus a margin
 * sends SIGKILL. A cache made elsewhere (an OpenVZ template cache) has no such file and gets
 * {@link #DEFAULT_INIT} and {@link #DEFAULT_STOP_SIGNAL}.
 *
 * <p>Immutable.
 *
 * @param name template name, {@code [a-z0-9][a-z0-9._-]*}
 * @param cache the tarball
 * @param sizeBytes size of the tarball (compressed)
 * @param created when the template was made (from its metadata, else the file's modification time)
 * @param os what it holds, e.g. "busybox 1.35.0", "debian bookworm 12.8"; "unknown" without metadata
 * @param init absolute path, inside the container, of the program to run as PID 1
 * @param stopSignal the signal name for {@code runc kill} that halts the container cleanly ("TERM")
 */
public record TemplateInfo(String name, Path cache, long sizeBytes, Instant created, String os, String init,
        String stopSignal) {
    /** PID 1 of a template without metadata: what every Linux distribution installs. */
    public static final String DEFAULT_INIT = "/sbin/init";
    /** What {@code runc kill} sends by default, and what jvz templates halt on. */
    public static final String DEFAULT_STOP_SIGNAL = "TERM";

    public TemplateInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(cache, "cache");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(os, "os");
        Objects.requireNonNull(init, "init");
        Objects.requireNonNull(stopSignal, "stopSignal");
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("sizeBytes < 0: " + sizeBytes);
        }
        if (!init.startsWith("/")) {
            throw new IllegalArgumentException("init must be an absolute path: " + init);
        }
    }

    /** A template with the default boot contract ({@link #DEFAULT_INIT}, {@link #DEFAULT_STOP_SIGNAL}). */
    public TemplateInfo(String name, Path cache, long sizeBytes, Instant created, String os) {
        this(name, cache, sizeBytes, created, os, DEFAULT_INIT, DEFAULT_STOP_SIGNAL);
    }
}
