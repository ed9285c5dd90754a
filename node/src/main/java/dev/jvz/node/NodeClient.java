package dev.jvz.node;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The CLI's side of the control socket: one connection per request. Starts the node when asked and
 * it is not running.
 *
 * <p>Thread-safe: stateless apart from the immutable paths.
 */
public final class NodeClient {
    /** A mount runs mkfs-free tools but may wait for a loaded machine; grow runs resize2fs. */
    private static final Duration CALL_TIMEOUT = Duration.ofMinutes(10);
    /** A copy of a large image over a slow link takes hours; a day bounds a hung node all the same. */
    static final Duration COPY_TIMEOUT = Duration.ofHours(24);
    /** A node starts (JVM + restore of its mounts) in about a second; allow for a busy machine. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(60);

    private final NodePaths paths;

    public NodeClient(NodePaths paths) {
        this.paths = paths;
    }

    public NodePaths paths() {
        return paths;
    }

    /** True when a node answers a status request on {@code paths}' control socket. */
    public static boolean answers(NodePaths paths) {
        if (!Files.exists(paths.controlSocket())) {
            return false;
        }
        try {
            new NodeClient(paths).call(NodeProtocol.Request.of("status"), Duration.ofSeconds(5));
            return true;
        } catch (NodeException e) {
            return false;
        }
    }

    /**
     * Starts the node in the background unless it already answers: {@code launcher} is the command that
     * runs jvz (java, class path, main class); {@code node run --node-dir DIR} is appended. The node
     * runs in its own session (setsid), so it outlives the CLI and its terminal.
     */
    public void ensureRunning(List<String> launcher) throws NodeException {
        if (answers(paths)) {
            return;
        }
        try {
            Files.createDirectories(paths.dir());
            List<String> cmd = new ArrayList<>();
            cmd.add("setsid");
            cmd.addAll(launcher);
            cmd.addAll(List.of("node", "run", "--node-dir", paths.dir().toString()));
            new ProcessBuilder(cmd).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(paths.log().toFile()))
                    .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
        } catch (IOException e) {
            throw new NodeException(NodeException.Kind.UNREACHABLE, "cannot start the jvz node: " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!answers(paths)) {
            if (System.nanoTime() > deadline) {
                throw new NodeException(NodeException.Kind.UNREACHABLE, "the jvz node did not start within "
                        + START_TIMEOUT.toSeconds() + " s; see " + paths.log());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new NodeException(NodeException.Kind.UNREACHABLE, "interrupted while starting the node", e);
            }
        }
    }

    public JsonNode status() throws NodeException {
        return call(NodeProtocol.Request.of("status"));
    }

    public List<MountRecord> list() throws NodeException {
        return convert(call(NodeProtocol.Request.of("list")), new TypeReference<List<MountRecord>>() {});
    }

    public MountRecord mount(Path descriptor, Path mountPoint, boolean readOnly) throws NodeException {
        return convert(call(new NodeProtocol.Request("mount", abs(descriptor), mountPoint == null ? null : abs(mountPoint),
                readOnly, null, null, null)), new TypeReference<MountRecord>() {});
    }

    public MountRecord umount(Path descriptorOrMountPoint) throws NodeException {
        return convert(call(new NodeProtocol.Request("umount", abs(descriptorOrMountPoint), null, null, null, null,
                null)), new TypeReference<MountRecord>() {});
    }

    /** Asks the node to stop; {@code force} unmounts whatever is mounted first. */
    public JsonNode shutdown(boolean force) throws NodeException {
        return call(new NodeProtocol.Request("shutdown", null, null, null, null, null, force));
    }

    /** A live operation on a mounted disk (snapshot, snapshot-list, snapshot-merge, snapshot-delete, grow). */
    public JsonNode live(String op, Path descriptorOrMountPoint, String guid, Long size) throws NodeException {
        return call(new NodeProtocol.Request(op, abs(descriptorOrMountPoint), null, null, guid, size, null));
    }

    /**
     * A live copy of the mounted disk's top delta, run by the node (see {@link CopySpec}); returns when
     * the copy is done, so the call may last as long as the copy ({@link #COPY_TIMEOUT}).
     */
    public dev.jvz.copy.CopyReport copy(Path descriptorOrMountPoint, CopySpec spec) throws NodeException {
        return copy(descriptorOrMountPoint, spec, null);
    }

    /**
     * As {@link #copy(Path, CopySpec)}; the node streams where the copy is to {@code progress} (on a
     * client thread, about 5 times a second while data flows) when it is not null.
     */
    public dev.jvz.copy.CopyReport copy(Path descriptorOrMountPoint, CopySpec spec,
            Consumer<dev.jvz.copy.LiveCopy.Progress> progress) throws NodeException {
        JsonNode r = call(new NodeProtocol.Request("copy", abs(descriptorOrMountPoint), null, null, null, null, null,
                spec, progress != null ? Boolean.TRUE : null), COPY_TIMEOUT, progress);
        return convert(r, new TypeReference<dev.jvz.copy.CopyReport>() {});
    }

    private static String abs(Path p) {
        return p.toAbsolutePath().normalize().toString();
    }

    private static <T> T convert(JsonNode n, TypeReference<T> type) {
        return NodeProtocol.JSON.convertValue(n, type);
    }

    JsonNode call(NodeProtocol.Request req) throws NodeException {
        return call(req, CALL_TIMEOUT);
    }

    JsonNode call(NodeProtocol.Request req, Duration timeout) throws NodeException {
        return call(req, timeout, null);
    }

    private JsonNode call(NodeProtocol.Request req, Duration timeout, Consumer<dev.jvz.copy.LiveCopy.Progress> progress)
            throws NodeException {
        CompletableFuture<NodeProtocol.Response> f = new CompletableFuture<>();
        SocketChannel ch;
        try {
            ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            ch.connect(UnixDomainSocketAddress.of(paths.controlSocket()));
        } catch (IOException e) {
            throw new NodeException(NodeException.Kind.UNREACHABLE, "the jvz node on " + paths.dir()
                    + " is not running (" + e.getMessage() + "); start it with 'jvz node start'", e);
        }
        Thread.ofVirtual().start(() -> {
            try (ch;
                    OutputStream out = Channels.newOutputStream(ch);
                    BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(ch),
                            StandardCharsets.UTF_8))) {
                out.write(NodeProtocol.JSON.writeValueAsBytes(req));
                out.write('\n');
                out.flush();
                while (true) {
                    String line = in.readLine();
                    if (line == null) {
                        throw new IOException("the node closed the connection without an answer");
                    }
                    JsonNode n = NodeProtocol.JSON.readTree(line);
                    if (n.has("progress")) { // an event before the response
                        if (progress != null) {
                            progress.accept(NodeProtocol.JSON.treeToValue(n, NodeProtocol.Event.class).progress());
                        }
                        continue;
                    }
                    f.complete(NodeProtocol.JSON.treeToValue(n, NodeProtocol.Response.class));
                    break;
                }
            } catch (IOException e) {
                f.completeExceptionally(e);
            }
        });
        NodeProtocol.Response resp;
        try {
            resp = f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            try {
                ch.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new NodeException(NodeException.Kind.UNREACHABLE, "the jvz node did not answer '" + req.op()
                    + "' within " + timeout.toSeconds() + " s; see " + paths.log(), e);
        } catch (ExecutionException e) {
            throw new NodeException(NodeException.Kind.UNREACHABLE, "talking to the jvz node failed: "
                    + e.getCause().getMessage(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NodeException(NodeException.Kind.UNREACHABLE, "interrupted", e);
        }
        if (!resp.ok()) {
            NodeException.Kind kind;
            try {
                kind = NodeException.Kind.valueOf(resp.kind());
            } catch (RuntimeException e) {
                kind = NodeException.Kind.IO;
            }
            throw new NodeException(kind, resp.error());
        }
        return resp.result();
    }
}
