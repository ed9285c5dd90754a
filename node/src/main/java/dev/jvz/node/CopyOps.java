package dev.jvz.node;

import dev.jvz.copy.ChecksumMismatchException;
import dev.jvz.copy.CopyProtocolException;
import dev.jvz.copy.CopyReport;
import dev.jvz.copy.CopySink;
import dev.jvz.copy.FreezeStep;
import dev.jvz.copy.LiveCopy;
import dev.jvz.copy.RemoteFailureException;
import dev.jvz.copy.Transports;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The node's {@code copy} op: a live copy of a mounted disk's top delta (PLOOP-FORMAT.md section 3),
 * run on the node's own open {@link dev.jvz.image.Image}, so the write tracker sees every write the
 * NBD export makes. Before the last unfrozen pass: syncfs, an ext4 journal checkpoint and up to
 * {@link #PRE_FREEZE_SYNC_ROUNDS} more syncfs while they are slow, on the mount point, so the page
 * cache and the journal are written while the copy still runs. The freeze
 * step runs the stop command ({@code sh -c}, with a timeout, its stderr in the error), then FIFREEZE
 * on the mount point, which syncs the file system itself (freeze_super calls sync_filesystem); a
 * separate syncfs before it only added a second journal commit and device flush to the frozen window.
 * Thaw is FITHAW. {@link LiveCopy} thaws and stops the tracker on every path. The three file-system
 * calls are made in-process ({@link Fs#freeze}).
 *
 * <p>Thread-safe: the copy runs without the {@link MountService} lock (it may take hours), with the
 * disk marked busy so no umount, snapshot, merge or grow changes the top delta under it.
 */
final class CopyOps {
    private CopyOps() {}

    /** Extra syncfs rounds before the freeze, each only while the previous one was slow. */
    static final int PRE_FREEZE_SYNC_ROUNDS = 3;
    /** A syncfs this quick had little to write: stop the rounds. */
    static final long QUICK_SYNC_NANOS = 3_000_000;

    /** The CLI connects to the relay socket right after it sees it appear; a minute covers a slow machine. */
    static final Duration RELAY_ACCEPT_TIMEOUT = Duration.ofSeconds(60);

    /** @param events told where the copy is ({@link LiveCopy.Listener#progress}); the control connection's thread */
    static CopyReport copy(MountService mounts, NodePaths paths, NodeProtocol.Request req,
            java.util.function.Consumer<LiveCopy.Progress> events) throws NodeException {
        if (req.descriptor() == null || req.copy() == null) {
            throw new NodeException(NodeException.Kind.INVALID, "'copy' needs a descriptor and a copy spec");
        }
        return mounts.withMountedBusy(Path.of(req.descriptor()), "a copy", m -> run(m, paths, req.copy(), events));
    }

    private static CopyReport run(MountService.Mounted m, NodePaths paths, CopySpec spec,
            java.util.function.Consumer<LiveCopy.Progress> events) throws NodeException {
        Path mp = m.record.mountPoint();
        boolean fsFreeze = mp != null && !m.record.readOnly();
        Duration stopTimeout = Duration.ofSeconds(spec.stopTimeoutSeconds() != null ? spec.stopTimeoutSeconds()
                : CopySpec.DEFAULT_STOP_TIMEOUT_SECONDS);
        FreezeStep freeze = new FreezeStep() {
            private boolean frozen;

            @Override
            public void freeze() throws IOException {
                if (spec.stopCommand() != null) {
                    Exec.check(stopTimeout, List.of("sh", "-c", spec.stopCommand()));
                }
                if (fsFreeze) {
                    frozen = true; // set before: a FIFREEZE that fails half-way is still thawed
                    Fs.freeze(mp);
                }
            }

            @Override
            public void thaw() throws IOException {
                if (frozen) {
                    frozen = false;
                    Fs.thaw(mp);
                }
            }
        };
        Runnable preFreezeSync = () -> {
            if (fsFreeze) {
                try {
                    Fs.syncfs(mp);
                    Fs.checkpointJournal(mp); // false (not ext4): the FIFREEZE checkpoints instead
                    // What the writers dirtied meanwhile, again while it is quick to write, so the
                    // FIFREEZE in the frozen window finds little: each round has less to do.
                    for (int i = 0; i < PRE_FREEZE_SYNC_ROUNDS; i++) {
                        long t0 = System.nanoTime();
                        Fs.syncfs(mp);
                        if (System.nanoTime() - t0 < QUICK_SYNC_NANOS) {
                            break;
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        };
        try {
            CopySink sink;
            if (spec.relay()) {
                sink = CopyJob.openSink(spec, acceptRelay(CopyJob.relaySocket(paths, m.record.id())));
            } else {
                sink = CopyJob.openSink(spec, null);
            }
            return CopyJob.run(m.image, spec, sink, freeze, preFreezeSync, new LiveCopy.Listener() {
                @Override
                public void progress(LiveCopy.Progress p) {
                    events.accept(p);
                }
            });
        } catch (ImageException e) {
            throw new NodeException(kindOf(e), e.getMessage(), e);
        } catch (IOException e) {
            throw new NodeException(kindOf(e), "the copy of " + m.record.descriptor() + " failed: " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw new NodeException(NodeException.Kind.INVALID, e.getMessage(), e);
        }
    }

    /** A failure of the stream or the receiver is COPY; of a tool (stop command, fsfreeze) TOOL; else IO. */
    static NodeException.Kind kindOf(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CopyProtocolException || t instanceof RemoteFailureException
                    || t instanceof ChecksumMismatchException) {
                return NodeException.Kind.COPY;
            }
        }
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof ToolException) {
                return NodeException.Kind.TOOL; // the stop command, syncfs or fsfreeze failed
            }
        }
        return NodeException.Kind.IO;
    }

    /**
     * Listens on {@code sock} (mode 0600 in the node's 0700 directory: root only) for the CLI's one
     * relay connection, and removes the socket file once it is connected.
     */
    private static Transports.Duplex acceptRelay(Path sock) throws IOException {
        Files.createDirectories(sock.getParent());
        Files.deleteIfExists(sock);
        try (ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            ss.bind(UnixDomainSocketAddress.of(sock));
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-------"));
            CompletableFuture<SocketChannel> f = new CompletableFuture<>();
            Thread.ofVirtual().start(() -> {
                try {
                    f.complete(ss.accept());
                } catch (IOException e) {
                    f.completeExceptionally(e);
                }
            });
            SocketChannel c;
            try {
                c = f.get(RELAY_ACCEPT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                throw new IOException("the CLI did not connect to the relay socket " + sock + " within "
                        + RELAY_ACCEPT_TIMEOUT.toSeconds() + " s", e);
            } catch (ExecutionException e) {
                throw new IOException("accepting the relay connection on " + sock + " failed: "
                        + e.getCause().getMessage(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("interrupted while waiting for the relay connection");
            }
            return new Transports.Duplex(Channels.newInputStream(c), Channels.newOutputStream(c), c);
        } finally {
            Files.deleteIfExists(sock);
        }
    }
}
