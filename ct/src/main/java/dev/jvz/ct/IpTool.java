package dev.jvz.ct;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.jvz.node.Exec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs iproute2's {@code ip} through {@link Exec} (timeout, both pipes drained, stderr in the
 * failure). Queries use {@code ip -j}, whose JSON output is a stable interface; ip's human-readable
 * output is not.
 *
 * <p>Thread-safe: immutable.
 */
final class IpTool {
    /** ip talks netlink and returns in milliseconds; 10 s only guards against a wedged kernel or tool. */
    static final Duration TIMEOUT = Duration.ofSeconds(10);

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String executable;

    IpTool(String executable) {
        this.executable = executable;
    }

    /** {@code ip} from the PATH, /usr/sbin or /sbin (root's PATH may lack the sbin directories). */
    static IpTool fromPath() {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, "ip"))) {
                return new IpTool(Path.of(dir, "ip").toString());
            }
        }
        return new IpTool("ip");
    }

    /** Runs {@code ip ARGS}; a non-zero exit becomes a CtException carrying ip's stderr. */
    String check(String... args) throws CtException {
        try {
            return Exec.check(TIMEOUT, command(args)).stdout();
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /** Runs {@code ip ARGS} and returns how it ended; throws only if ip cannot run or hangs. */
    Exec.Result run(String... args) throws CtException {
        try {
            return Exec.run(TIMEOUT, command(args));
        } catch (IOException e) {
            throw failed(e);
        }
    }

    /** Runs {@code ip -j ARGS} and returns the JSON array it prints (empty output counts as []). */
    JsonNode json(String... args) throws CtException {
        List<String> a = new ArrayList<>(args.length + 1);
        a.add("-j");
        a.addAll(List.of(args));
        String out = check(a.toArray(String[]::new)).strip();
        if (out.isEmpty()) {
            return JsonNodeFactory.instance.arrayNode();
        }
        try {
            return JSON.readTree(out);
        } catch (IOException e) {
            throw new CtException("cannot parse the JSON of 'ip -j " + String.join(" ", args) + "': " + e.getMessage()
                    + "; is iproute2 older than 4.13 (no -j)? Install a current iproute2", e);
        }
    }

    /** Adds what to do where the cause is known: not root, or no usable ip. */
    private static CtException failed(IOException e) {
        String msg = e.getMessage();
        if (msg != null && msg.contains("Operation not permitted")) {
            msg += "; container networking needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN for namespaces)";
        } else if (e instanceof dev.jvz.node.ToolException t && t.exitCode() == -1) {
            msg += "; check that iproute2 is installed and works ('ip -V')";
        }
        return new CtException(msg, e);
    }

    private List<String> command(String... args) {
        List<String> cmd = new ArrayList<>(args.length + 1);
        cmd.add(executable);
        cmd.addAll(List.of(args));
        return cmd;
    }
}
