package dev.jvz.ct;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Pattern;

/**
 * How a container boots and halts: its init and the signal that stops init cleanly, read from the
 * container's own {@code /etc/jvz-template} (which a jvz template cache carries as its first member),
 * so the contract travels with the container and survives the template's removal. A root without
 * the file (an OpenVZ template cache) gets /sbin/init and TERM, what every distribution expects.
 *
 * @param init the program runc starts as PID 1 (absolute, inside the container)
 * @param stopSignal the {@code runc kill} signal name that halts it
 */
record BootContract(String init, String stopSignal) {
    static final BootContract DEFAULT = new BootContract("/sbin/init", "TERM");
    static final String FILE = "etc/jvz-template";
    /** The file is a few lines; anything longer is not ours and is not read. */
    static final int MAX_BYTES = 4096;
    private static final Pattern PATH = Pattern.compile("/[A-Za-z0-9._+/-]*");
    private static final Pattern SIGNAL = Pattern.compile("[A-Z][A-Z0-9+]*");

    List<String> command() {
        return List.of(init);
    }

    /**
     * The contract of the root at {@code root}. The root belongs to the container: the file is read
     * only if it is a regular file (never through a symbolic link), bounded, and each value is used
     * only if it is well-formed; otherwise the default stands.
     */
    static BootContract of(Path root) {
        Path f = root.resolve(FILE);
        Path etc = root.resolve("etc");
        if (Files.isSymbolicLink(etc) || !Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)) {
            return DEFAULT;
        }
        try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
            byte[] b = in.readNBytes(MAX_BYTES + 1);
            if (b.length > MAX_BYTES) {
                return DEFAULT;
            }
            ShellConfig c = ShellConfig.parse(f, new String(b, StandardCharsets.UTF_8));
            String init = c.get("INIT");
            String sig = c.get("STOP_SIGNAL");
            return new BootContract(init != null && PATH.matcher(init).matches() ? init : DEFAULT.init,
                    sig != null && SIGNAL.matcher(sig).matches() ? sig : DEFAULT.stopSignal);
        } catch (IOException | ConfigException e) {
            return DEFAULT;
        }
    }
}
