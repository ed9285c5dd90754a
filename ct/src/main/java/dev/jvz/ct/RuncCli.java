package dev.jvz.ct;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.jvz.node.Exec;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@link Runc} through the runc binary, with {@code --root} set so jvz's containers live apart from
 * other runc users. stdout and stderr are drained concurrently (a chatty call never blocks on a full
 * pipe); a call that outlives its timeout is killed and reported as such.
 *
 * <p>{@code run -d} is special: the container's init inherits runc's stdout and stderr, so they go to
 * a log file, not to a pipe that would stay open for as long as the container runs.
 *
 * <p>Thread-safe: stateless apart from immutable settings.
 */
final class RuncCli implements Runc {
    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);
    /** How much of a log file a failed start quotes: the end of it says why. */
    private static final int LOG_TAIL = 4096;

    private final String binary;
    private final Path root;
    private final Duration timeout;

    RuncCli(String binary, Path root, Duration timeout) {
        this.binary = binary;
        this.root = root;
        this.timeout = timeout;
    }

    private List<String> cmd(String verb, List<String> args) {
        List<String> c = new ArrayList<>(List.of(binary, "--root", root.toString(), verb));
        c.addAll(args);
        return c;
    }

    private record Out(int exit, String stdout, String stderr) {}

    /** Runs one call; a non-zero exit is an error naming the call and quoting stderr. */
    private Out call(String verb, String id, List<String> args) throws RuncException {
        Out o = run(verb, id, args, null, timeout);
        if (o.exit != 0) {
            throw failed(verb, id, o.exit, o.stderr.isBlank() ? o.stdout : o.stderr);
        }
        return o;
    }

    private static RuncException failed(String verb, String id, int exit, String err) {
        return new RuncException("runc " + verb + " " + id + " failed (exit " + exit + ")"
                + (err.isBlank() ? "" : ": " + err.strip()));
    }

    private Out run(String verb, String id, List<String> args, byte[] stdin, Duration limit) throws RuncException {
        List<String> c = cmd(verb, args);
        Process p;
        try {
            Files.createDirectories(root);
            ProcessBuilder pb = new ProcessBuilder(c);
            if (stdin == null) {
                pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            }
            p = pb.start();
        } catch (IOException e) {
            throw new RuncException("cannot run '" + binary + "': " + e.getMessage()
                    + "; install runc (scripts/install-deps.sh) or set RUNC in jvz.conf", e);
        }
        CompletableFuture<String> out = drain(p.getInputStream());
        CompletableFuture<String> err = drain(p.getErrorStream());
        if (stdin != null) {
            Thread.ofVirtual().start(() -> {
                try (OutputStream o = p.getOutputStream()) {
                    o.write(stdin);
                } catch (IOException e) {
                    // The command exited without reading all of its input: its exit code tells the story.
                }
            });
        }
        return new Out(await(p, verb, id, limit), out.join(), err.join());
    }

    private static int await(Process p, String verb, String id, Duration limit) throws RuncException {
        try {
            if (limit == null) {
                return p.waitFor();
            }
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                throw new RuncException("runc " + verb + " " + id + " did not finish in "
                        + (limit.toMillis() < 1000 ? limit.toMillis() + " ms" : limit.toSeconds() + " s") + " and was killed; see 'runc --root ... state " + id + "' and the host's load");
            }
            return p.exitValue();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new RuncException("interrupted while running runc " + verb + " " + id, e);
        }
    }

    /** {@link Exec#drain}, but an unreadable pipe becomes a note in the output: the exit code still tells. */
    private static CompletableFuture<String> drain(InputStream in) {
        return Exec.drain(in).exceptionally(e -> "(output unreadable: "
                + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()) + ")");
    }

    @Override
    public void run(String id, Path bundle, Path log) throws RuncException {
        long offset;
        Process p;
        try {
            Files.createDirectories(root);
            Files.createDirectories(log.getParent());
            offset = Files.exists(log) ? Files.size(log) : 0;
            p = new ProcessBuilder(cmd("run", List.of("-d", "--bundle", bundle.toString(), id)))
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        } catch (IOException e) {
            throw new RuncException("cannot run '" + binary + "': " + e.getMessage()
                    + "; install runc (scripts/install-deps.sh) or set RUNC in jvz.conf", e);
        }
        int exit = await(p, "run", id, timeout);
        if (exit != 0) {
            throw failed("run", id, exit, tail(log, offset) + " (log: " + log + ")");
        }
    }

    /** What was appended to {@code log} since {@code offset}, at most the last {@link #LOG_TAIL} bytes. */
    static String tail(Path log, long offset) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long start = Math.max(offset, f.length() - LOG_TAIL);
            byte[] b = new byte[(int) (f.length() - start)];
            f.seek(start);
            f.readFully(b);
            return new String(b, StandardCharsets.UTF_8).strip();
        } catch (IOException e) {
            return "(" + log + " unreadable: " + e.getMessage() + ")";
        }
    }

    @Override
    public Optional<RuncState> state(String id) throws RuncException {
        // runc keeps one directory per container under its root; without it there is nothing to ask,
        // which avoids parsing the wording of runc's "does not exist" error.
        if (!Files.isDirectory(root.resolve(id))) {
            return Optional.empty();
        }
        Out o = run("state", id, List.of(id), null, timeout);
        if (o.exit != 0) {
            if (!Files.isDirectory(root.resolve(id))) {
                return Optional.empty(); // deleted meanwhile
            }
            throw failed("state", id, o.exit, o.stderr);
        }
        return Optional.of(parse(o.stdout, new TypeReference<RuncState>() {}, "state " + id));
    }

    @Override
    public List<RuncState> list() throws RuncException {
        Out o = call("list", "", List.of("-f", "json"));
        String s = o.stdout.strip();
        if (s.isEmpty() || s.equals("null")) {
            return List.of(); // runc prints null for an empty root
        }
        return parse(s, new TypeReference<List<RuncState>>() {}, "list");
    }

    private static <T> T parse(String json, TypeReference<T> type, String what) throws RuncException {
        try {
            return JSON.readValue(json, type);
        } catch (IOException e) {
            throw new RuncException("cannot read the output of runc " + what + " (" + e.getMessage() + "): "
                    + (json.length() > 200 ? json.substring(0, 200) + "..." : json), e);
        }
    }

    @Override
    public void kill(String id, String signal, boolean all) throws RuncException {
        call("kill", id, all ? List.of("--all", id, signal) : List.of(id, signal));
    }

    @Override
    public void delete(String id, boolean force) throws RuncException {
        call("delete", id, force ? List.of("--force", id) : List.of(id));
    }

    @Override
    public void pause(String id) throws RuncException {
        call("pause", id, List.of(id));
    }

    @Override
    public void resume(String id) throws RuncException {
        call("resume", id, List.of(id));
    }

    @Override
    public void update(String id, Resources r) throws RuncException {
        List<String> a = new ArrayList<>();
        if (r.memory() != null) {
            a.addAll(List.of("--memory", Long.toString(r.memory())));
        }
        if (r.memorySwap() != null) {
            a.addAll(List.of("--memory-swap", Long.toString(r.memorySwap())));
        }
        if (r.cpuPeriod() != null) {
            a.addAll(List.of("--cpu-period", Long.toString(r.cpuPeriod())));
        }
        if (r.cpuQuota() != null) {
            a.addAll(List.of("--cpu-quota", Long.toString(r.cpuQuota())));
        }
        if (r.cpusetCpus() != null) {
            a.addAll(List.of("--cpuset-cpus", r.cpusetCpus()));
        }
        if (a.isEmpty()) {
            return;
        }
        a.add(id);
        call("update", id, a);
    }

    @Override
    public List<Integer> ps(String id) throws RuncException {
        Out o = call("ps", id, List.of("-f", "json", id));
        String s = o.stdout.strip();
        if (s.isEmpty() || s.equals("null")) {
            return List.of();
        }
        return parse(s, new TypeReference<List<Integer>>() {}, "ps " + id);
    }

    @Override
    public ExecResult exec(String id, List<String> command, byte[] stdin, Duration limit) throws RuncException {
        List<String> a = new ArrayList<>(List.of(id));
        a.addAll(command);
        Out o = run("exec", id, a, stdin == null ? new byte[0] : stdin, limit);
        return new ExecResult(o.exit, o.stdout, o.stderr);
    }

    @Override
    public int execInteractive(String id, List<String> command, boolean tty) throws RuncException {
        List<String> a = new ArrayList<>();
        if (tty) {
            a.add("-t");
        }
        a.add(id);
        a.addAll(command);
        try {
            Files.createDirectories(root);
            Process p = new ProcessBuilder(cmd("exec", a)).inheritIO().start();
            return await(p, "exec", id, null);
        } catch (IOException e) {
            throw new RuncException("cannot run '" + binary + "': " + e.getMessage(), e);
        }
    }
}
