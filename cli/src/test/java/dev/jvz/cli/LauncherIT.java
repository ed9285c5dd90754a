package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real launcher, bin/jvz, after {@code package}: from a foreign working directory, with
 * relative paths, through import and export, and proves with {@code cmp} that the disk came back
 * byte for byte.
 */
class LauncherIT {
    private static Path jvz;

    @TempDir
    Path work;

    @BeforeAll
    static void findLauncher() {
        requireTool("cmp");
        jvz = locateLauncher();
    }

    /** JVZ_HOME (set by failsafe), else the first bin/jvz found walking up from the working directory. */
    /** The cli ITs' common start: every tool they run beside bin/jvz must be there, then bin/jvz. */
    static Path launcherWith(String... tools) {
        for (String t : tools) {
            requireTool(t);
        }
        return locateLauncher();
    }

    static Path locateLauncher() {
        String home = System.getenv("JVZ_HOME");
        if (home != null && Files.isExecutable(Path.of(home, "bin", "jvz"))) {
            return Path.of(home, "bin", "jvz").toAbsolutePath();
        }
        for (Path d = Path.of(System.getProperty("user.dir")).toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isExecutable(d.resolve("bin/jvz"))) {
                return d.resolve("bin/jvz");
            }
        }
        return fail("bin/jvz not found: set JVZ_HOME or run from inside the jvz checkout");
    }

    record Run(int exitCode, String out, String err) {}

    private Run run(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(args[0].equals("cmp") ? "cmp" : jvz.toString());
        for (int i = args[0].equals("cmp") ? 1 : 0; i < args.length; i++) {
            cmd.add(args[i]);
        }
        Path out = Files.createTempFile(work, "out", ".txt");
        Path err = Files.createTempFile(work, "err", ".txt");
        Process p = new ProcessBuilder(cmd).directory(work.toFile())
                .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail(String.join(" ", cmd) + " did not finish in 120 s");
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }

    @Test
    void versionRunsFromAnotherDirectory() throws Exception {
        Run r = run("--version");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("jvz ");
    }

    @Test
    void importThenExportRoundTripsByteForByteWithRelativePaths() throws Exception {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        // 24 MiB: random clusters, zero clusters, and a cluster with a single byte set.
        int mib = 1 << 20;
        byte[] disk = new byte[24 * mib];
        for (int c = 0; c < 24; c++) {
            if (rnd.nextInt(3) == 0) {
                byte[] chunk = new byte[mib];
                rnd.nextBytes(chunk);
                System.arraycopy(chunk, 0, disk, c * mib, mib);
            }
        }
        disk[17 * mib + 4095] = 7;
        Files.write(work.resolve("disk.raw"), disk);

        Run imp = run("ploop", "import", "disk.raw", "root.hdd");
        assertThat(imp.exitCode()).as("seed " + seed + ": " + imp).isZero();
        assertThat(imp.out()).startsWith("imported disk.raw to root.hdd: 24 MiB virtual");
        assertThat(imp.err()).as("no progress line without a terminal").isEmpty();

        Run exp = run("ploop", "export", "root.hdd", "back.raw");
        assertThat(exp.exitCode()).as("seed " + seed + ": " + exp).isZero();

        Run cmp = run("cmp", "disk.raw", "back.raw");
        assertThat(cmp.exitCode()).as("seed " + seed + ": cmp " + cmp).isZero();

        Run info = run("ploop", "info", "--json", "root.hdd");
        assertThat(info.exitCode()).as(info.toString()).isZero();
        assertThat(Json.mapper().readTree(info.out()).get("virtual_size").asLong()).isEqualTo(24L * mib);
    }

    @Test
    void errorsReachTheShellAsOneLineAndAnExitCode() throws Exception {
        Run r = run("ploop", "info", "missing.hdd");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.OPEN);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEqualTo("jvz ploop info: missing.hdd: no such file or directory\n");

        Run usage = run("ploop", "init", "-s", "ten", "x.hdd");
        assertThat(usage.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(usage.err().lines().count()).isEqualTo(1);
    }

    static void requireTool(String tool) {
        boolean found = false;
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, tool))) {
                found = true;
                break;
            }
        }
        require(found, tool + " is not installed; scripts/install-deps.sh must provide it", tool + " is not installed");
    }

    /**
     * The cli module's one "this test needs X" check (HELPERS.md): skips with {@code skipReason} unless
     * {@code present}, but fails with {@code ciFailure} under CI=true, where a missing X is a broken
     * environment.
     */
    static void require(boolean present, String ciFailure, String skipReason) {
        if (present) {
            return;
        }
        if ("true".equals(System.getenv("CI"))) {
            fail(ciFailure);
        }
        Assumptions.assumeTrue(false, skipReason);
    }
}
