package dev.jvz.copy;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * The copy module's one "this test needs X" check (HELPERS.md): where X is missing the test is
 * skipped, except under CI=true, where a missing X is a broken environment and fails the test.
 * Stateless.
 */
final class TestEnv {
    private TestEnv() {}

    /** True when {@code tool} is an executable in a PATH directory. */
    static boolean onPath(String tool) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, tool))) {
                return true;
            }
        }
        return false;
    }

    /** Skips (fails under CI=true) unless {@code tool} is on the PATH. */
    static void requireTool(String tool) {
        require(onPath(tool), tool + " is not installed but CI=true; run scripts/install-deps.sh",
                tool + " is not installed");
    }

    /** Skips (fails under CI=true) unless the test runs as root; {@code why} says what needs it. */
    static void requireRoot(String why) {
        require("root".equals(System.getProperty("user.name")), why + " and must run as root in CI",
                why + ": not root");
    }

    /** Skips with {@code skipReason} unless {@code present}; under CI=true fails with {@code ciFailure}. */
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
