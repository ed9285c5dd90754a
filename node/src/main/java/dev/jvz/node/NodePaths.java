package dev.jvz.node;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Where a node keeps its state. One directory per node, so a second node on the same machine (a
 * second "host" in tests and demos) only needs another directory.
 *
 * <pre>
 * DIR/control.sock        control socket (JSON lines), mode 0600 in a 0700 directory: root only
 * DIR/node.pid, node.log  the running daemon
 * DIR/mounts.json         what is mounted, re-opened after a restart
 * DIR/exports/ID/         per mounted disk: nbd.sock, fuse/disk, nbdfuse.pid, nbdfuse.log
 * </pre>
 *
 * @param dir the node's state directory
 */
public record NodePaths(Path dir) {
    /** The default state directory of a host's node. */
    public static final Path DEFAULT_DIR = Path.of("/var/lib/jvz/node");
    /** Environment variable that overrides {@link #DEFAULT_DIR} (tests, a second local node). */
    public static final String ENV = "JVZ_NODE_DIR";

    public NodePaths {
        dir = dir.toAbsolutePath().normalize();
    }

    /** The node directory from {@code explicit}, else $JVZ_NODE_DIR, else the default. */
    public static NodePaths resolve(Path explicit) {
        if (explicit != null) {
            return new NodePaths(explicit);
        }
        String env = System.getenv(ENV);
        return new NodePaths(env != null && !env.isBlank() ? Path.of(env) : DEFAULT_DIR);
    }

    public Path controlSocket() {
        return dir.resolve("control.sock");
    }

    public Path pidFile() {
        return dir.resolve("node.pid");
    }

    public Path log() {
        return dir.resolve("node.log");
    }

    public Path registry() {
        return dir.resolve("mounts.json");
    }

    /** A short stable id for a disk: the first 12 hex digits of SHA-256 of its descriptor path. */
    public static String idOf(Path descriptor) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256")
                    .digest(descriptor.toAbsolutePath().normalize().toString().getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("SHA-256 is required of every JDK", e);
        }
    }

    public Path exportDir(String id) {
        return dir.resolve("exports").resolve(id);
    }
}
