package dev.jvz.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns an NBD export on a Unix socket into a kernel block device and back.
 *
 * <p>Where the nbd module exists (/dev/nbd0), {@code nbd-client} attaches the export as /dev/nbdN.
 * Elsewhere (this is most containers and CI machines) {@code nbdfuse} exposes it as a file on a FUSE
 * mount and {@code losetup} makes a loop device of that file. Each step is undone if a later one fails.
 *
 * <p>Thread-safe: stateless; callers serialise attach/detach of one export.
 */
public final class Attacher {
    private Attacher() {}

    private static final Duration TOOL_TIMEOUT = Duration.ofSeconds(30);
    /** nbdfuse connects and mounts in well under a second; allow for a loaded machine. */
    private static final Duration NBDFUSE_READY = Duration.ofSeconds(20);
    static final String FUSE_FILE = "disk";

    /** True when the kernel nbd driver is present, so nbd-client can be used. */
    public static boolean kernelNbdAvailable() {
        return Files.exists(Path.of("/dev/nbd0")) && Exec.onPath("nbd-client");
    }

    /**
     * Attaches the export {@code exportName} served on {@code socket}.
     *
     * @param workDir a directory private to this export (the FUSE mount goes there)
     */
    public static Attachment attach(Path socket, String exportName, Path workDir, boolean readOnly)
            throws IOException {
        return attach(socket, exportName, workDir, readOnly, 0);
    }

    /**
     * As {@link #attach(Path, String, Path, boolean)}; on the nbdfuse path the loop device is limited to
     * {@code sizeLimit} bytes (0: the whole export), so an export advertised larger than the disk lets
     * the disk grow while mounted ({@link LoopDevice#setSizeLimit}).
     */
    public static Attachment attach(Path socket, String exportName, Path workDir, boolean readOnly, long sizeLimit)
            throws IOException {
        if (kernelNbdAvailable()) {
            return attachNbdClient(socket, exportName, readOnly);
        }
        return attachFuseLoop(socket, exportName, workDir, readOnly, sizeLimit);
    }

    private static Attachment attachNbdClient(Path socket, String exportName, boolean readOnly) throws IOException {
        String dev = freeNbdDevice().orElseThrow(() -> new ToolException(
                "every /dev/nbdN is in use; detach one or load the nbd module with more devices (nbds_max)", -1));
        List<String> cmd = new ArrayList<>(List.of("nbd-client", "-unix", socket.toString(), dev, "-N", exportName));
        if (readOnly) {
            cmd.add("-readonly");
        }
        Exec.check(TOOL_TIMEOUT, cmd);
        return new Attachment(Attachment.Kind.NBD_CLIENT, dev, null, 0);
    }

    /** The first /dev/nbdN whose sysfs entry shows no connected client. */
    static Optional<String> freeNbdDevice() {
        for (int i = 0; i < 1024; i++) {
            Path sys = Path.of("/sys/block/nbd" + i);
            if (!Files.exists(sys)) {
                break;
            }
            if (!Files.exists(sys.resolve("pid"))) {
                return Optional.of("/dev/nbd" + i);
            }
        }
        return Optional.empty();
    }

    private static Attachment attachFuseLoop(Path socket, String exportName, Path workDir, boolean readOnly,
            long sizeLimit) throws IOException {
        Path fuseDir = workDir.resolve("fuse");
        Files.createDirectories(fuseDir);
        cleanFuseDir(fuseDir);
        Path pidFile = workDir.resolve("nbdfuse.pid");
        Files.deleteIfExists(pidFile);
        Path log = workDir.resolve("nbdfuse.log");
        String uri = "nbd+unix:///" + exportName + "?socket=" + socket.toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of("nbdfuse", "-P", pidFile.toString()));
        if (readOnly) {
            cmd.add("-r");
        }
        cmd.add(fuseDir.resolve(FUSE_FILE).toString());
        cmd.add(uri);
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new ToolException("cannot run nbdfuse: " + e.getMessage()
                    + "; install libnbd-bin and fuse3 (scripts/install-deps.sh)", e);
        }
        long deadline = System.nanoTime() + NBDFUSE_READY.toNanos();
        // nbdfuse writes its pid file once the FUSE file system is ready (nbdfuse(1), -P).
        while (!Files.exists(pidFile) || !Mounts.isMountPoint(fuseDir)) {
            if (!p.isAlive()) {
                throw new ToolException("nbdfuse exited with " + p.exitValue() + " before the export was ready: "
                        + readLog(log), p.exitValue());
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new ToolException("nbdfuse did not become ready within " + NBDFUSE_READY.toSeconds() + " s: "
                        + readLog(log), -1);
            }
            sleep(20);
        }
        String loop;
        try {
            List<String> lo = new ArrayList<>(List.of("losetup", "-f", "--show"));
            if (readOnly) {
                lo.add("-r");
            }
            if (sizeLimit > 0) {
                lo.add("--sizelimit");
                lo.add(Long.toString(sizeLimit));
            }
            lo.add(fuseDir.resolve(FUSE_FILE).toString());
            loop = Exec.check(TOOL_TIMEOUT, lo).stdout().strip();
        } catch (IOException e) {
            try {
                unmountFuse(fuseDir, p.pid());
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        return new Attachment(Attachment.Kind.FUSE_LOOP, loop, fuseDir, p.pid());
    }

    /** Undoes {@link #attach}: loop device, FUSE mount and nbdfuse, or nbd-client. Idempotent. */
    public static void detach(Attachment a) throws IOException {
        switch (a.kind()) {
            case NBD_CLIENT -> Exec.check(TOOL_TIMEOUT, List.of("nbd-client", "-d", a.device()));
            case FUSE_LOOP -> {
                detachLoopsOf(a.fuseDir().resolve(FUSE_FILE));
                unmountFuse(a.fuseDir(), a.helperPid());
            }
        }
    }

    /** Detaches every loop device whose backing file is {@code file} (also those of a killed earlier run). */
    static void detachLoopsOf(Path file) throws IOException {
        Exec.Result r = Exec.run(TOOL_TIMEOUT, List.of("losetup", "-j", file.toString(), "-O", "NAME", "-n"));
        for (String line : r.stdout().split("\n")) {
            String dev = line.strip();
            if (!dev.isEmpty()) {
                Exec.check(TOOL_TIMEOUT, List.of("losetup", "-d", dev));
            }
        }
    }

    private static void unmountFuse(Path fuseDir, long pid) throws IOException {
        if (Mounts.isMountPoint(fuseDir)) {
            Exec.Result r = Exec.run(TOOL_TIMEOUT, List.of("fusermount3", "-u", fuseDir.toString()));
            if (r.exitCode() != 0) {
                Exec.check(TOOL_TIMEOUT, List.of("fusermount3", "-u", "-z", fuseDir.toString()));
            }
        }
        if (pid > 0) {
            ProcessHandle.of(pid).ifPresent(h -> {
                if (h.info().command().map(c -> c.endsWith("nbdfuse")).orElse(false)) {
                    try {
                        h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                }
            });
        }
    }

    /**
     * Detaches {@code device} if it is a loop device still bound to a FUSE file of ours that is gone:
     * what a node that died (or stopped without unmounting) leaves once its nbdfuse has exited. The
     * kernel then shows the backing file as "/disk (deleted)"; {@code losetup -j} cannot find it by
     * name any more, so the registry's device name is the only handle. A loop device bound to anything
     * else (the number may have been reused) is left alone.
     */
    static void detachStaleLoop(String device) throws IOException {
        if (device == null || !device.matches("/dev/loop[0-9]+")) {
            return;
        }
        Path backing = Path.of("/sys/block", device.substring("/dev/".length()), "loop", "backing_file");
        if (!Files.exists(backing)) {
            return; // not attached any more
        }
        String file = Files.readString(backing).strip();
        if (file.equals("/" + FUSE_FILE + " (deleted)") || file.endsWith("/fuse/" + FUSE_FILE + " (deleted)")) {
            Exec.run(TOOL_TIMEOUT, List.of("losetup", "-d", device));
        }
    }

    /** Removes leftovers of a killed earlier run in {@code fuseDir}: its loop devices and FUSE mount. */
    static void cleanFuseDir(Path fuseDir) throws IOException {
        if (Mounts.isMountPoint(fuseDir)) {
            detachLoopsOf(fuseDir.resolve(FUSE_FILE));
            Exec.run(TOOL_TIMEOUT, List.of("fusermount3", "-u", "-z", fuseDir.toString()));
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log).strip();
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    private static void sleep(long ms) throws IOException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while waiting for nbdfuse");
        }
    }
}
