package dev.jvz.image;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs qemu-img and qemu-io, the compatibility oracle for the ploop ("parallels") format, from the
 * integration tests. Every call has a timeout; a non-zero exit fails the test with the tool's stderr.
 *
 * <p>Not thread-safe state: none; each call is independent.
 */
final class QemuTools {
    /** Generous for the small images the tests use; a hung tool must not hang the build. */
    private static final long TIMEOUT_SECONDS = 120;

    private QemuTools() {}

    /** Output of one finished tool run. */
    record Run(List<String> command, int exitCode, String stdout, String stderr) {
        String describe() {
            return String.join(" ", command) + " exited " + exitCode + "\nstdout: " + stdout + "\nstderr: " + stderr;
        }
    }

    /**
     * Skips the calling test when {@code tool} is not installed, except under CI=true where a missing
     * tool is a broken environment and fails the test (HELPERS.md).
     */
    static void requireTool(String tool) {
        if (onPath(tool)) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail(tool + " is not installed but CI=true; run scripts/install-deps.sh (package qemu-utils)");
        }
        Assumptions.assumeTrue(false, tool + " is not installed; skipping (install qemu-utils to run this test)");
    }

    static boolean onPath(String tool) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command, returning its result whatever the exit code. */
    static Run run(String... command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("jvz-it-", ".out");
        Path err = Files.createTempFile("jvz-it-", ".err");
        try {
            Process p = new ProcessBuilder(command)
                    .redirectOutput(out.toFile())
                    .redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .start();
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                fail(String.join(" ", command) + " did not finish in " + TIMEOUT_SECONDS + " s");
            }
            return new Run(List.of(command), p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    /** Runs a command and fails the test unless it exits 0. */
    static Run ok(String... command) throws IOException, InterruptedException {
        Run r = run(command);
        if (r.exitCode() != 0) {
            fail(r.describe());
        }
        return r;
    }

    /**
     * {@code qemu-img check -f parallels}: must exit 0 (no corruption, no leaks) and say so. Returns the
     * number of allocated clusters it reports ("N/M = x% allocated").
     */
    static long checkClean(Path img) throws IOException, InterruptedException {
        Run r = run("qemu-img", "check", "-f", "parallels", img.toString());
        if (r.exitCode() != 0 || !r.stdout().contains("No errors were found")) {
            fail("qemu-img check found problems in " + img + ":\n" + r.describe());
        }
        Matcher m = Pattern.compile("(\\d+)/(\\d+) = [0-9.]+% allocated").matcher(r.stdout());
        if (!m.find()) {
            fail("qemu-img check printed no allocation line:\n" + r.describe());
        }
        return Long.parseLong(m.group(1));
    }

    /** {@code qemu-img compare -f parallels -F raw}: fails the test unless the contents are identical. */
    static void compareEqual(Path img, Path raw) throws IOException, InterruptedException {
        Run r = run("qemu-img", "compare", "-f", "parallels", "-F", "raw", img.toString(), raw.toString());
        if (r.exitCode() != 0) {
            fail("qemu-img compare: " + img + " differs from " + raw + ":\n" + r.describe());
        }
    }

    /** Virtual size as {@code qemu-img info --output=json} reports it. */
    static long virtualSize(Path img) throws IOException, InterruptedException {
        Run r = ok("qemu-img", "info", "--output=json", "-f", "parallels", img.toString());
        Matcher m = Pattern.compile("\"virtual-size\"\\s*:\\s*(\\d+)").matcher(r.stdout());
        if (!m.find()) {
            fail("no virtual-size in qemu-img info output:\n" + r.describe());
        }
        return Long.parseLong(m.group(1));
    }

    /** Bytes that {@code qemu-img map --output=json} reports as holding data. */
    static long mappedDataBytes(Path img) throws IOException, InterruptedException {
        Run r = ok("qemu-img", "map", "--output=json", "-f", "parallels", img.toString());
        // One JSON object per line; avoid a JSON dependency in the JDK-only image module.
        Pattern entry = Pattern.compile("\"length\"\\s*:\\s*(\\d+).*?\"data\"\\s*:\\s*(true|false)");
        long total = 0;
        for (String line : r.stdout().split("\n")) {
            Matcher m = entry.matcher(line);
            if (m.find() && m.group(2).equals("true")) {
                total += Long.parseLong(m.group(1));
            }
        }
        return total;
    }

    /** Runs qemu-io on a standalone parallels image with the given commands ("write -P 0x5a 0 4k"...). */
    static void qemuIo(Path img, String... commands) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("qemu-io", "-f", "parallels"));
        for (String c : commands) {
            cmd.add("-c");
            cmd.add(c);
        }
        cmd.add(img.toString());
        Run r = ok(cmd.toArray(String[]::new));
        // qemu-io exits 0 even when a command fails; its messages say so.
        if (r.stdout().contains("failed") || r.stderr().contains("failed")) {
            fail("qemu-io reported a failure:\n" + r.describe());
        }
        long wrote = r.stdout().lines().filter(l -> l.startsWith("wrote ")).count();
        long asked = Arrays.stream(commands).filter(c -> c.startsWith("write")).count();
        if (wrote != asked) {
            fail("qemu-io ran " + wrote + " of " + asked + " writes:\n" + r.describe());
        }
    }
}
