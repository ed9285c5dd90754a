package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the real bin/jvz for the integration tests, in a work directory and against one node
 * directory ($JVZ_NODE_DIR), with a timeout; $JVZ names the launcher for shell pipelines.
 *
 * @param jvz the launcher
 * @param work working directory; stdout/stderr files go there
 * @param node the node's state directory
 */
record JvzProcess(Path jvz, Path work, Path node) {
    /** How long one command may take (a mount on a loaded machine takes seconds, not minutes). */
    static final long TIMEOUT_SECONDS = 180;

    /** What a finished command printed. */
    record Run(int exitCode, String out, String err) {
        JsonNode json() throws Exception {
            return Json.mapper().readTree(out);
        }
    }

    /** A process builder for any command, with the node directory and $JVZ in its environment. */
    ProcessBuilder builder(List<String> cmd, Path out, Path err) {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("JVZ_NODE_DIR", node.toString());
        pb.environment().put("JVZ", jvz.toString());
        return pb;
    }

    /** Runs {@code jvz ARGS...} to completion. */
    Run run(String... args) throws Exception {
        List<String> cmd = new ArrayList<>();
        cmd.add(jvz.toString());
        cmd.addAll(List.of(args));
        return exec(cmd);
    }

    /** Runs any command (qemu-img, a shell pipeline using $JVZ) to completion. */
    Run exec(List<String> cmd) throws Exception {
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = builder(cmd, out, err).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in " + TIMEOUT_SECONDS + " s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    /** Runs {@code jvz ARGS...} and asserts it exited 0. */
    Run ok(String... args) throws Exception {
        Run r = run(args);
        assertThat(r.exitCode()).as(String.join(" ", args) + " -> " + r).isZero();
        return r;
    }
}
