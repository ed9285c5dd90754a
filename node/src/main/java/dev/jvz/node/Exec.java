package dev.jvz.node;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Runs external tools: every call has a timeout, stdout and stderr are drained concurrently (so a
 * chatty tool never blocks on a full pipe), and a failure carries the command and its stderr.
 *
 * <p>Thread-safe: stateless.
 */
public final class Exec {
    private Exec() {}

    /** What a finished command printed. */
    public record Result(int exitCode, String stdout, String stderr) {}

    /** Runs {@code cmd}; throws {@link ToolException} on a non-zero exit or a timeout. */
    public static Result check(Duration timeout, List<String> cmd) throws IOException {
        Result r = run(timeout, cmd);
        if (r.exitCode() != 0) {
            String err = r.stderr().isBlank() ? r.stdout().strip() : r.stderr().strip();
            throw new ToolException("'" + String.join(" ", cmd) + "' failed (exit " + r.exitCode() + ")"
                    + (err.isEmpty() ? "" : ": " + err), r.exitCode());
        }
        return r;
    }

    /** Runs {@code cmd} and returns whatever it exited with; throws only if it cannot run or times out. */
    public static Result run(Duration timeout, List<String> cmd) throws IOException {
        Process p;
        try {
            p = new ProcessBuilder(cmd).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                    .start();
        } catch (IOException e) {
            throw new ToolException("cannot run '" + cmd.getFirst() + "': " + e.getMessage()
                    + "; is it installed? (scripts/install-deps.sh installs what jvz needs)", e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new ToolException("'" + String.join(" ", cmd) + "' did not finish within " + timeout.toSeconds()
                        + " s and was killed", -1);
            }
            return new Result(p.exitValue(), out.join(), err.join());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while running " + cmd.getFirst());
        }
    }

    /**
     * Reads {@code in} to its end on a virtual thread, as UTF-8: a child's pipe drained so it never
     * blocks on a full buffer. A read error completes the future exceptionally (an UncheckedIOException).
     * Also for callers that run a process themselves (stdin, no timeout) but drain the same way.
     */
    public static CompletableFuture<String> drain(InputStream in) {
        CompletableFuture<String> f = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try (in) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                in.transferTo(buf);
                f.complete(buf.toString(StandardCharsets.UTF_8));
            } catch (IOException e) {
                f.completeExceptionally(new UncheckedIOException(e));
            }
        });
        return f;
    }

    /** True when {@code tool} is an executable on the PATH (or in /sbin, /usr/sbin). */
    public static boolean onPath(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/sbin:/usr/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && java.nio.file.Files.isExecutable(java.nio.file.Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }
}
