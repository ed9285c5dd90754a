package dev.jvz.ct;

import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of the container integration tests: a fresh {@link CtFixture} per test in its own temporary
 * root, closed (leftovers removed) after it. A subclass that needs a routed network or other jvz.conf
 * values overrides {@link #newFixture}. Not thread-safe; JUnit runs one test of an instance at a time.
 */
abstract class ContainerTestBase {
    @TempDir
    Path tmp;
    CtFixture fx;
    Containers cts;

    /** The host this class's tests run on; the default has a network namespace with only lo. */
    CtFixture newFixture(Path root) throws Exception {
        return new CtFixture(root);
    }

    @BeforeEach
    final void startFixture() throws Exception {
        fx = newFixture(tmp);
        cts = fx.cts;
    }

    @AfterEach
    final void closeFixture() throws Exception {
        fx.close();
    }
}
