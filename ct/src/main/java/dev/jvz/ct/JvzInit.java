package dev.jvz.ct;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The container init every jvz template carries as {@code /sbin/jvz-init} (the script is the
 * resource {@code jvz-init.sh} next to this class; its comment states the contract).
 *
 * <p>Stateless; thread-safe.
 */
final class JvzInit {
    private JvzInit() {}

    /** Where the init lives inside the container. */
    static final String PATH = "/sbin/jvz-init";
    /** The signal that halts it cleanly: its trap. */
    static final String STOP_SIGNAL = "TERM";

    static String script() {
        try (InputStream in = JvzInit.class.getResourceAsStream("jvz-init.sh")) {
            if (in == null) {
                throw new IllegalStateException("jvz-init.sh missing from the jvz-ct jar (a build error)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read jvz-init.sh from the jvz-ct jar", e);
        }
    }
}
