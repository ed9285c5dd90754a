package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A full file system, for real: a 3 MiB tmpfs receives an 8 MiB import and export. Proves exit code
 * 7 (ploop SYSEXIT_WRITE), a one-line message naming the file, and that no partial file is left.
 * Needs root to mount tmpfs (the jvz test machine runs as root).
 */
class DiskFullIT {
    @TempDir
    Path work;

    private Path small;

    @BeforeEach
    void mountSmallFileSystem() throws Exception {
        LauncherIT.requireTool("mount");
        LauncherIT.require("root".equals(System.getProperty("user.name")), "DiskFullIT mounts a tmpfs and needs root",
                "not root: cannot mount a tmpfs");
        small = Files.createDirectory(work.resolve("small"));
        exec("mount", "-t", "tmpfs", "-o", "size=3M", "jvz-diskfull", small.toString());
    }

    @AfterEach
    void unmount() throws Exception {
        if (small != null) {
            exec("umount", small.toString());
        }
    }

    private static void exec(String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            fail(String.join(" ", cmd) + " failed: " + out);
        }
    }

    private Path randomRaw(Path file, int mib) throws IOException {
        byte[] b = new byte[mib << 20];
        new Random(7).nextBytes(b);
        return Files.write(file, b);
    }

    @Test
    void importIntoAFullFileSystemIsExitSevenAndRemovesTheImage() throws Exception {
        Path raw = randomRaw(work.resolve("disk.raw"), 8);
        Path img = small.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "import", raw.toString(), img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.WRITE);
        assertThat(r.errLines()).containsExactly(
                "jvz ploop import: " + img + ": No space left on device; free some space and retry");
        assertThat(img).doesNotExist();
    }

    @Test
    void exportIntoAFullFileSystemIsExitSevenAndRemovesThePartialRaw() throws Exception {
        Path img = work.resolve("root.hdd");
        Cli.Result imp = Cli.run("ploop", "import", randomRaw(work.resolve("disk.raw"), 8).toString(), img.toString());
        assertThat(imp.exitCode()).as(imp.toString()).isZero();
        Path out = small.resolve("out.raw");
        Cli.Result r = Cli.run("ploop", "export", img.toString(), out.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.WRITE);
        assertThat(r.errLines()).containsExactly(
                "jvz ploop export: " + out + ": No space left on device; free some space and retry");
        assertThat(out).doesNotExist();
    }
}
