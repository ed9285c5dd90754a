package dev.jvz.node;

import static org.junit.jupiter.api.Assertions.fail;

import org.junit.jupiter.api.Assumptions;

/** Integration tests need real tools: skip where one is truly missing, but fail in CI (CI=true). */
final class NodeTools {
    private NodeTools() {}

    static void require(String... tools) {
        for (String t : tools) {
            if (!Exec.onPath(t)) {
                if ("true".equals(System.getenv("CI"))) {
                    fail(t + " is not installed; scripts/install-deps.sh must install it in CI");
                }
                Assumptions.assumeTrue(false, t + " is not installed");
            }
        }
        if (!java.nio.file.Files.exists(java.nio.file.Path.of("/dev/fuse")) && !Attacher.kernelNbdAvailable()) {
            if ("true".equals(System.getenv("CI"))) {
                fail("neither /dev/fuse nor /dev/nbd0 exists: no way to attach an export");
            }
            Assumptions.assumeTrue(false, "no /dev/fuse and no /dev/nbd0");
        }
    }
}
