package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The copy of a live image is an image QEMU accepts: {@code qemu-img check -f parallels} finds no error. */
class LiveCopyQemuIT {
    @TempDir
    Path dir;

    @ParameterizedTest(name = "seed {0}, granule {1}")
    @CsvSource({"11, 4096", "12, 512"})
    @Timeout(120)
    void copyOfALiveImagePassesQemuImgCheck(long seed, int granule) throws Exception {
        TestEnv.requireTool("qemu-img");
        Path copy = dir.resolve("copy.hdd");
        LiveCopyWritersTest.copyLive(dir, copy, seed, granule, null);
        Path out = dir.resolve("check.out");
        Process p = new ProcessBuilder("qemu-img", "check", "-f", "parallels", copy.toString())
                .redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("qemu-img check did not finish in 60 s");
        }
        String text = Files.readString(out);
        assertThat(p.exitValue()).as("qemu-img check -f parallels %s:%n%s", copy, text).isZero();
        assertThat(text).contains("No errors were found");
    }
}
