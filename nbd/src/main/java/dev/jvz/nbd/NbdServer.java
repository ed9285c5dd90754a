package dev.jvz.nbd;

import dev.jvz.image.BlockDevice;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An NBD server (NetworkBlockDevice/nbd doc/proto.md) exporting one {@link BlockDevice}, typically a
 * ploop {@link dev.jvz.image.Image}, over Unix domain sockets and/or TCP.
 *
 * <p>Speaks fixed newstyle negotiation with NBD_OPT_EXPORT_NAME, INFO, GO, LIST, ABORT,
 * STRUCTURED_REPLY, LIST/SET_META_CONTEXT ({@code base:allocation}); in transmission READ (simple or
 * structured with OFFSET_DATA/OFFSET_HOLE, DF), WRITE (FUA), FLUSH, TRIM, WRITE_ZEROES (NO_HOLE),
 * BLOCK_STATUS and DISC, with CAN_MULTI_CONN. One platform thread per connection reads requests; it
 * runs a request itself when nothing else of that connection is in flight, otherwise the request goes
 * to a small per-server pool of platform threads; replies go out in completion order.
 *
 * <pre>{@code
 * try (Image img = Image.open(delta, true);
 *      NbdServer server = NbdServer.builder(img).exportName("root").build()) {
 *     server.listenUnix(Path.of("/run/jvz/101.sock"));
 *     server.awaitClosed();          // until another thread calls close()
 * }                                  // server closes first, then the image
 * }</pre>
 *
 * <p>The server never closes the device: close the server first (it waits for requests in flight),
 * then the device.
 *
 * <p>Thread-safe. {@link #lock} guards {@link #listeners} and {@link #closed} against a concurrent
 * {@code listen*}/{@code close}; connections live in a concurrent map.
 */
public final class NbdServer implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(NbdServer.class.getName());
    /** How long close() lets requests in flight finish before it cuts the connections. */
    private static final long CLOSE_GRACE_MILLIS = 10_000;

    private final Export export;
    private final BufferPool pool = new BufferPool();
    /** Runs framed requests (null: on each connection's thread); see {@link RequestExecution}. */
    private final ExecutorService requests;
    private final ReentrantLock lock = new ReentrantLock();
    private final List<Listener> listeners = new ArrayList<>();
    private final Map<Connection, Thread> connections = new ConcurrentHashMap<>();
    private final AtomicInteger connectionIds = new AtomicInteger();
    private final CountDownLatch closedLatch = new CountDownLatch(1);
    private boolean closed;

    private record Listener(ServerSocketChannel channel, Path unixPath, Thread acceptor) {}

    private final java.time.Duration handshakeTimeout;

    private NbdServer(Export export, RequestExecution execution, java.time.Duration handshakeTimeout) {
        this.export = export;
        this.handshakeTimeout = handshakeTimeout;
        this.requests = execution.newExecutor();
    }

    /** Starts building a server for {@code device}. */
    public static Builder builder(BlockDevice device) {
        return new Builder(device);
    }

    /** Options of a server; {@link #build()} validates them. */
    public static final class Builder {
        private final BlockDevice device;
        private String exportName = "";
        private String description;
        private boolean readOnly;
        private long advertisedSize = -1;
        private RequestExecution execution;
        private java.time.Duration handshakeTimeout = Nbd.HANDSHAKE_TIMEOUT;

        private Builder(BlockDevice device) {
            this.device = Objects.requireNonNull(device, "device");
        }

        /**
         * The export's name (default "", the "default export"). Clients may also ask for "" and get this
         * export. At most 4096 bytes of UTF-8, no NUL.
         */
        public Builder exportName(String name) {
            this.exportName = Objects.requireNonNull(name, "name");
            return this;
        }

        /** A human-readable description (NBD_INFO_DESCRIPTION, NBD_OPT_LIST); none by default. */
        public Builder description(String description) {
            this.description = description;
            return this;
        }

        /** Serve read-only (also implied when the device is read-only). */
        public Builder readOnly(boolean readOnly) {
            this.readOnly = readOnly;
            return this;
        }

        /** Tests pick the execution strategy; otherwise it comes from {@code jvz.nbd.execution}. */
        Builder execution(RequestExecution execution) {
            this.execution = execution;
            return this;
        }

        /** Tests shorten the handshake deadline. */
        Builder handshakeTimeout(java.time.Duration timeout) {
            this.handshakeTimeout = timeout;
            return this;
        }

        /** @throws IllegalArgumentException when the name or description is not a valid NBD string */
        /**
         * Advertise a size larger than the device's (default: the device's own size). The part past the
         * device reads as a hole and refuses writes with ENOSPC. The jvz node uses this so a mounted disk
         * can grow: nbdfuse fixes its file size at connect time, the loop device on top of it is limited
         * to the disk's real size, and growing the disk only raises that limit.
         */
        public Builder advertisedSize(long bytes) {
            if (bytes < device.size()) {
                throw new IllegalArgumentException("advertised size " + bytes + " is smaller than the device ("
                        + device.size() + " bytes)");
            }
            this.advertisedSize = bytes;
            return this;
        }

        public NbdServer build() {
            return new NbdServer(new Export(device, exportName, description, readOnly,
                    advertisedSize < 0 ? device.size() : advertisedSize),
                    execution != null ? execution : RequestExecution.fromProperty(), handshakeTimeout);
        }
    }

    public String exportName() {
        return export.name;
    }

    public boolean readOnly() {
        return export.readOnly;
    }

    /** Number of client connections currently open (handshake or transmission). */
    public int activeConnections() {
        return connections.size();
    }

    /**
     * Listens on a Unix domain socket at {@code socket} (created; it must not exist) and serves every
     * client that connects. The socket file is removed by {@link #close()}.
     *
     * @return the socket path
     * @throws FileAlreadyExistsException when {@code socket} exists (maybe another server's socket)
     */
    public Path listenUnix(Path socket) throws IOException {
        if (Files.exists(socket, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw new FileAlreadyExistsException(socket.toString(), null,
                    "exists; remove it if no server is listening there");
        }
        ServerSocketChannel ch = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        try {
            ch.bind(UnixDomainSocketAddress.of(socket));
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
        start(ch, socket);
        return socket;
    }

    /**
     * Listens on TCP at {@code address} (port 0 picks a free port) and serves every client that connects.
     *
     * @return the address actually bound
     */
    public InetSocketAddress listenTcp(InetSocketAddress address) throws IOException {
        ServerSocketChannel ch = ServerSocketChannel.open();
        try {
            ch.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ch.bind(address);
            InetSocketAddress bound = (InetSocketAddress) ch.getLocalAddress();
            start(ch, null);
            return bound;
        } catch (IOException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private void start(ServerSocketChannel ch, Path unixPath) throws IOException {
        lock.lock();
        try {
            if (closed) {
                ch.close();
                if (unixPath != null) {
                    Files.deleteIfExists(unixPath);
                }
                throw new ClosedChannelException();
            }
            Thread t = Thread.ofVirtual().name("nbd-accept-" + ch.getLocalAddress()).unstarted(() -> accept(ch));
            listeners.add(new Listener(ch, unixPath, t));
            t.start();
        } finally {
            lock.unlock();
        }
    }

    private void accept(ServerSocketChannel server) {
        while (true) {
            SocketChannel client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (server.isOpen()) {
                    LOG.log(Level.ERROR, "nbd: accept failed, no longer listening on " + server, e);
                }
                return;
            }
            try {
                if (client.getLocalAddress() instanceof InetSocketAddress) {
                    // proto.md: both sides SHOULD disable Nagle's algorithm.
                    client.setOption(StandardSocketOptions.TCP_NODELAY, true);
                }
                int id = connectionIds.incrementAndGet();
                Connection[] self = new Connection[1];
                Connection c = new Connection(id, client, export, pool, requests, handshakeTimeout,
                        () -> connections.remove(self[0]));
                self[0] = c;
                // A platform thread: it reads the socket with a plain blocking read (no poller hand-off) and
                // runs requests inline when the connection is otherwise idle (Connection.submit), where a
                // virtual thread doing file I/O would pin its carrier.
                Thread t = Thread.ofPlatform().daemon().name("nbd-conn-" + id).unstarted(c);
                lock.lock();
                try {
                    if (closed) {
                        client.close();
                        return;
                    }
                    connections.put(c, t);
                } finally {
                    lock.unlock();
                }
                t.start();
            } catch (IOException | RuntimeException e) {
                LOG.log(Level.WARNING, "nbd: cannot start a connection: {0}", e.toString());
                try {
                    client.close();
                } catch (IOException ignored) {
                    // already failing; the first error is logged
                }
            }
        }
    }

    /** Blocks until {@link #close()} has completed. */
    public void awaitClosed() throws InterruptedException {
        closedLatch.await();
    }

    /**
     * Stops accepting, lets requests in flight finish (up to 10 s), disconnects every client and returns
     * when all connection threads have ended, so the caller may close the device next. Idempotent.
     */
    @Override
    public void close() {
        List<Listener> ls;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            ls = List.copyOf(listeners);
            listeners.clear();
        } finally {
            lock.unlock();
        }
        for (Listener l : ls) {
            try {
                l.channel().close();
                if (l.unixPath() != null) {
                    Files.deleteIfExists(l.unixPath());
                }
            } catch (IOException e) {
                LOG.log(Level.WARNING, "nbd: closing listener: {0}", e.toString());
            }
        }
        for (Listener l : ls) {
            joinQuietly(l.acceptor(), CLOSE_GRACE_MILLIS);
        }
        connections.keySet().forEach(Connection::shutdown);
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_GRACE_MILLIS);
        for (Map.Entry<Connection, Thread> e : Map.copyOf(connections).entrySet()) {
            long left = Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime()));
            if (!joinQuietly(e.getValue(), left)) {
                e.getKey().closeChannel();
                joinQuietly(e.getValue(), CLOSE_GRACE_MILLIS);
            }
        }
        if (requests != null) {
            requests.shutdown(); // every connection has drained its requests before its thread ended
        }
        closedLatch.countDown();
    }

    private static boolean joinQuietly(Thread t, long millis) {
        try {
            return t.join(java.time.Duration.ofMillis(millis));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }
}
