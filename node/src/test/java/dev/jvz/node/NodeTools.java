package dev.jvz.node;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** Integration tests need real tools: skip where one is truly missing, but fail in CI (CI=true). */
final class NodeTools {
    private NodeTools() {}

    /** Skips the test with {@code why} unless {@code ok}; in CI (CI=true) fails instead. */
    static void requireHost(boolean ok, String why) {
        if (!ok) {
            if ("true".equals(System.getenv("CI"))) {
                fail(why);
            }
            Assumptions.assumeTrue(false, why);
        }
    }

    static void require(String... tools) {
        for (String t : tools) {
            requireHost(Exec.onPath(t), t + " is not installed; scripts/install-deps.sh must install it in CI");
        }
        requireHost(java.nio.file.Files.exists(java.nio.file.Path.of("/dev/fuse")) || Attacher.kernelNbdAvailable(),
                "neither /dev/fuse nor /dev/nbd0 exists: no way to attach an export");
    }
}
