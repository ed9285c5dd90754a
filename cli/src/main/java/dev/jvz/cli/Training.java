package dev.jvz.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The training run behind bin/jvz's ahead-of-time cache: runs the commands users run most, in one
 * JVM, on scratch files in the directory given as the only argument, so that the JVM records the
 * classes they load and link (JDK 25's {@code -XX:AOTCacheOutput}, JEP 483/514/515).
 *
 * <p>Why a training class and not one command: the cache holds what one JVM run loaded, and a
 * cache trained on {@code jvz list} alone left out the image, XML, copy and JSON classes that
 * {@code jvz ploop copy} needs (measured in BENCHMARKS.md, "Live copy", start-up). Nothing here
 * touches state outside the scratch directory: the caller points {@code JVZ_CONF} and
 * {@code JVZ_NODE_DIR} into it, no file system is made ({@code -t none}) and nothing is mounted; the
 * node that {@code ctl status} starts there is stopped at the end.
 * A command that fails only loses its share of the training; the run still ends with exit code 0,
 * and the launcher falls back to no cache if the JVM could not write one.
 *
 * <p>Not thread-safe; a program of its own.
 */
public final class Training {
    private Training() {}

    /** One line on stderr per command (the launcher shows it only when the cache could not be made). */
    private static void report(String[] run, int code) {
        System.err.println("training: jvz " + String.join(" ", run) + " exited " + code);
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: Training SCRATCH_DIR");
        }
        Path dir = Path.of(args[0]);
        PrintWriter none = new PrintWriter(Writer.nullWriter());
        Path disk = dir.resolve("disk");
        Files.createDirectories(disk);
        String xml = disk.resolve("DiskDescriptor.xml").toString();
        List<String[]> runs = new ArrayList<>(List.of(
                new String[] {"--help"},
                new String[] {"list", "-a", "-j"},
                new String[] {"ploop", "init", "-s", "64M", "-t", "none", disk.resolve("root.hdd").toString()},
                new String[] {"ploop", "info", "--json", xml},
                new String[] {"ploop", "snapshot", xml},
                new String[] {"ploop", "snapshot-list", xml},
                new String[] {"ploop", "check", xml},
                new String[] {"ploop", "copy", "-s", xml, "-d", dir.resolve("copy.hdd").toString(), "--json"},
                new String[] {"ctl", "status", "101"}));
        for (String[] run : runs) {
            report(run, Main.run(none, none, run));
        }
        // A copy over TCP, both ends in this JVM: the receiver on its own thread.
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String listen = "127.0.0.1:" + port;
        // A daemon: should the sender never connect, the receiver's accept must not keep the JVM alive.
        Thread receiver = Thread.ofPlatform().daemon(true).start(() -> Main.run(none, none, "ploop", "copy",
                "--listen", listen, "-d", dir.resolve("received.hdd").toString(), "--json"));
        boolean copied = false;
        for (int i = 0; i < 100 && !copied; i++) {
            copied = Main.run(none, none, "ploop", "copy", "-s", xml, "--to", listen, "--json") == 0;
            if (!copied) {
                Thread.sleep(20); // the receiver is not listening yet
            }
        }
        receiver.join(10_000);
        System.err.println("training: copy over TCP " + (copied ? "done" : "failed"));
        // 'ctl' commands start the node of JVZ_CONF's NODE_DIR (the caller's scratch one): stop it, or
        // every build would leave a node daemon behind.
        report(new String[] {"node", "stop"}, Main.run(none, none, "node", "stop"));
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).filter(p -> !p.equals(dir)).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        System.exit(0); // the cache is written at exit; no thread a command left behind may delay it
    }
}
