package dev.jvz.node;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;

/**
 * The per-host jvz node: owns mounted images (their NBD exports and attachments) and answers the CLI
 * on a control socket that only root can use (the socket lives in a 0700 directory, mode 0600).
 *
 * <p>Thread-safe: one virtual thread per control connection; state changes go through the
 * {@link MountService}, which serialises them.
 */
public final class NodeDaemon implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NodeDaemon.class.getName());

    private final NodePaths paths;
    private final MountService mounts;
    private final Instant started = Instant.now();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile ServerSocketChannel server;
    private volatile boolean unmountOnStop;

    public NodeDaemon(NodePaths paths) throws IOException {
        this.paths = paths;
        Files.createDirectories(paths.dir());
        Files.setPosixFilePermissions(paths.dir(), PosixFilePermissions.fromString("rwx------"));
        this.mounts = new MountService(paths);
    }

    /**
     * Binds the control socket, re-opens what was mounted before, and serves until {@link #close()} or a
     * shutdown request.
     *
     * @return lines describing what was restored
     */
    public java.util.List<String> start() throws IOException, NodeException {
        Path sock = paths.controlSocket();
        if (Files.exists(sock)) {
            if (NodeClient.answers(paths)) {
                throw new NodeException(NodeException.Kind.BUSY, "a node already runs on " + paths.dir());
            }
            Files.delete(sock); // left by a node that died
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ch.bind(UnixDomainSocketAddress.of(sock));
        Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
        Files.writeString(paths.pidFile(), ProcessHandle.current().pid() + "\n");
        server = ch;
        if (Fs.ExpeditedRcu.recover()) {
            LOG.log(System.Logger.Level.INFO, "reset /sys/kernel/rcu_expedited to 0: a node was killed during a freeze");
        }
        java.util.List<String> restored = mounts.restore();
        Thread.ofVirtual().name("jvz-node-accept").start(this::acceptLoop);
        return restored;
    }

    /** Blocks until the node stops. */
    public void awaitStop() throws InterruptedException {
        stopped.await();
    }

    private void acceptLoop() {
        try {
            while (true) {
                SocketChannel c = server.accept();
                Thread.ofVirtual().name("jvz-node-conn").start(() -> serve(c));
            }
        } catch (IOException e) {
            if (server.isOpen()) {
                LOG.log(System.Logger.Level.ERROR, "control socket failed", e);
            }
        }
    }

    private void serve(SocketChannel c) {
        try (c;
                BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                        StandardCharsets.UTF_8), 4096);
                OutputStream out = Channels.newOutputStream(c)) {
            String line = readLine(in);
            if (line == null) {
                return;
            }
            NodeProtocol.Response resp;
            boolean stopAfter = false;
            try {
                NodeProtocol.Request req = NodeProtocol.JSON.readValue(line, NodeProtocol.Request.class);
                resp = NodeProtocol.Response.success(handle(req, Boolean.TRUE.equals(req.progress())
                        ? events(out) : p -> { }));
                stopAfter = "shutdown".equals(req.op());
            } catch (NodeException e) {
                resp = NodeProtocol.Response.failure(e);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                resp = NodeProtocol.Response.failure(new NodeException(NodeException.Kind.INVALID,
                        "malformed request: " + e.getOriginalMessage()));
            } catch (RuntimeException e) {
                LOG.log(System.Logger.Level.ERROR, "request failed", e);
                resp = NodeProtocol.Response.failure(new NodeException(NodeException.Kind.IO,
                        "internal error: " + e + "; see " + paths.log()));
            }
            out.write(NodeProtocol.JSON.writeValueAsBytes(resp));
            out.write('\n');
            out.flush();
            if (stopAfter) {
                Thread.ofVirtual().start(this::closeQuietly);
            }
        } catch (IOException e) {
            LOG.log(System.Logger.Level.DEBUG, "control connection dropped: " + e.getMessage());
        }
    }

    /** Reads one line, refusing more than {@link NodeProtocol#MAX_LINE} characters. */
    private static String readLine(BufferedReader in) throws IOException {
        StringBuilder b = new StringBuilder();
        int ch;
        while ((ch = in.read()) >= 0 && ch != '\n') {
            if (b.length() >= NodeProtocol.MAX_LINE) {
                throw new IOException("request longer than " + NodeProtocol.MAX_LINE + " bytes");
            }
            b.append((char) ch);
        }
        return ch < 0 && b.isEmpty() ? null : b.toString();
    }

    /**
     * Writes progress events to the requesting client as {@link NodeProtocol.Event} lines. Best effort:
     * once a write fails (the client went away) the rest are dropped and the request goes on; its
     * response write then fails and is logged like any dropped connection.
     */
    private static java.util.function.Consumer<dev.jvz.copy.LiveCopy.Progress> events(OutputStream out) {
        boolean[] broken = {false};
        return p -> {
            synchronized (broken) {
                if (broken[0]) {
                    return;
                }
                try {
                    out.write(NodeProtocol.JSON.writeValueAsBytes(new NodeProtocol.Event(p)));
                    out.write('\n');
                    out.flush();
                } catch (IOException e) {
                    broken[0] = true;
                    LOG.log(System.Logger.Level.DEBUG, "progress events dropped: " + e.getMessage());
                }
            }
        };
    }

    private Object handle(NodeProtocol.Request req, java.util.function.Consumer<dev.jvz.copy.LiveCopy.Progress> events)
            throws NodeException {
        String op = req.op() == null ? "" : req.op();
        return switch (op) {
            case "status" -> status();
            case "list" -> mounts.list();
            case "mount" -> mounts.mount(path(req.descriptor(), "descriptor"),
                    req.mountPoint() == null ? null : Path.of(req.mountPoint()), Boolean.TRUE.equals(req.readOnly()));
            case "umount" -> mounts.umount(path(req.descriptor() != null ? req.descriptor() : req.mountPoint(),
                    "descriptor or mount point"));
            case "copy" -> CopyOps.copy(mounts, paths, req, events);
            case "shutdown" -> {
                if (!mounts.list().isEmpty() && !Boolean.TRUE.equals(req.force())) {
                    throw new NodeException(NodeException.Kind.BUSY, mounts.list().size()
                            + " disk(s) are mounted; unmount them first, or stop with --force to unmount all");
                }
                unmountOnStop = true;
                yield status();
            }
            default -> LiveOps.handle(mounts, req);
        };
    }

    private ObjectNode status() {
        ObjectNode n = NodeProtocol.JSON.createObjectNode();
        n.put("pid", ProcessHandle.current().pid());
        n.put("dir", paths.dir().toString());
        n.put("started", started.toString());
        n.put("kernel_nbd", Attacher.kernelNbdAvailable());
        n.set("mounts", NodeProtocol.JSON.valueToTree(mounts.list()));
        return n;
    }

    private static Path path(String s, String what) throws NodeException {
        if (s == null || s.isBlank()) {
            throw new NodeException(NodeException.Kind.INVALID, "the request needs a " + what);
        }
        return Path.of(s);
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException e) {
            LOG.log(System.Logger.Level.ERROR, "node stop failed", e);
        }
    }

    /**
     * Stops the node. After a shutdown request everything is unmounted; on any other stop (signal) the
     * registry is kept so the next start re-opens the disks.
     */
    @Override
    public void close() throws IOException {
        try {
            ServerSocketChannel s = server;
            if (s != null) {
                s.close();
                Files.deleteIfExists(paths.controlSocket());
            }
            mounts.shutdown(unmountOnStop);
            Files.deleteIfExists(paths.pidFile());
        } finally {
            stopped.countDown();
        }
    }
}
