package dev.jvz.copy;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import dev.jvz.image.WriteTracker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One live copy end to end over real TCP: a real image with 32 KiB clusters and a few MiB of seeded
 * random data; the real tracker; the sender ({@link LiveCopy}) on the calling thread with a real
 * {@link CopySinks#open} sink; a {@link FaultProxy}; a {@link Receiver} on its own thread writing a
 * target file.
 *
 * <p>The writes that race the copy are scripted so that every run sends the same byte stream (a clean
 * run then tells where each phase lies in it): a writer thread, released by a latch when pass 1 has
 * read half the file, rewrites the first {@link #DIRTY_BYTES} of the disk (already sent: pass 2 re-sends
 * them) while pass 1 waits for it; the freeze step (like syncfs under FIFREEZE) rewrites another
 * {@link #DIRTY_BYTES}, which the frozen pass sends. After each batch the source file is snapshotted:
 * the copy only reads, so after any failure the file must still equal the last snapshot.
 *
 * <p>Stream: pass 1 (linear, 1 MiB blocks) | pass 2 (dirty, live) | pass 3 (pre-freeze, empty) | SYNC |
 * freeze | pass 4 (frozen) | clean header sector | finish (jvz: END with the final SHA-256; legacy:
 * SYNC then END).
 */
final class FaultRig {
    static final int CLUSTER_SECTORS = 64; // 32 KiB, the smallest ploop allows: many clusters
    static final long DISK = 32L << 20;
    static final long PREFILL = 6L << 20;
    static final long DIRTY_BYTES = 3L << 19; // 1.5 MiB
    static final long FROZEN_AT = 2L << 20; // the freeze's writes go to [2 MiB, 3.5 MiB) of the disk

    enum Protocol { JVZ, LEGACY }

    /** The outcome of one run. */
    static final class Run {
        CopyReport report;
        Throwable failure;
        TestFreeze freeze = new TestFreeze();
        final AtomicReference<WriteTracker> tracker = new AtomicReference<>();
        /** The source file after the last scripted write (the copy must never change it). */
        volatile byte[] expectedSource;
        /** The receiver of the connection that carried the copy (jvz: 1st, legacy: 2nd). */
        CompletableFuture<Receiver.Result> receiver;
        FaultProxy proxy;
        Path source;
        Path target;
        Image image;
        long nanos;
    }

    final Path dir;
    final Protocol protocol;
    final long seed;
    Receiver.Options receiverOptions = Receiver.Options.defaults();
    FaultProxy.Fault fault = FaultProxy.Fault.none();
    boolean record;
    Duration helloTimeout = CopySinks.DEFAULT_HELLO_TIMEOUT;
    Duration stallTimeout = Duration.ZERO;
    JvzOptions jvzOptions;
    /** Where the receiver writes; default dir/target.hdd. */
    Path target;
    /** Runs as the proxy hook (HOOK faults); gets the receiver server. */
    java.util.function.Consumer<ReceiverServer> hook = s -> { };
    /**
     * Free-running writer threads instead of the scripted writes: the stream then differs run to run
     * (no stream map, no source snapshot), but the copy races real concurrent writers and the freeze
     * step really blocks them.
     */
    LiveWriters live;

    FaultRig(Path dir, Protocol protocol, long seed) {
        this.dir = dir;
        this.protocol = protocol;
        this.seed = seed;
        this.target = dir.resolve("target.hdd");
    }

    /** The connection of the copy itself: legacy comes after the refused jvz hello. */
    int dataConnection() {
        return protocol == Protocol.JVZ ? 1 : 2;
    }

    /**
     * Runs the copy; the image is left open in {@link Run#image} (the caller closes it) and the proxy
     * closed. Never throws the copy's failure: it is in {@link Run#failure}.
     */
    Run run() throws Exception {
        Run run = new Run();
        run.target = target;
        Image image;
        if (live != null) { // free-running writers; the scripted ones below do nothing
            run.source = live.source;
            image = live.image;
            run.freeze = live.freeze;
        } else {
            run.source = dir.resolve("root.hdd");
            Image.create(run.source, new CreateOptions(DISK, CLUSTER_SECTORS, 2));
            image = Image.open(run.source, true);
            Random r = new Random(seed);
            byte[] buf = new byte[1 << 20];
            for (long off = 0; off < PREFILL; off += buf.length) {
                r.nextBytes(buf);
                image.write(off, ByteBuffer.wrap(buf));
            }
            image.flush();
        }
        run.image = image;
        run.expectedSource = Files.readAllBytes(run.source);
        long fileSize = Files.size(run.source);
        boolean scripted = live == null;

        // The live writer: waits until pass 1 has read half the file, rewrites the start of the disk.
        CountDownLatch go = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = Thread.ofPlatform().daemon().name("live-writer").start(() -> {
            try {
                go.await();
                if (scripted) {
                    rewrite(image, 0, new Random(seed + 1));
                    run.expectedSource = Files.readAllBytes(run.source);
                }
            } catch (Throwable t) {
                writerFailure.set(t);
            } finally {
                done.countDown();
            }
        });
        // The freeze: like syncfs + FIFREEZE, what it flushes lands in the image; then nothing writes.
        if (scripted) {
            run.freeze.onFreeze = () -> {
                rewrite(image, FROZEN_AT, new Random(seed + 2));
                run.expectedSource = Files.readAllBytes(run.source);
            };
        }

        Receiver.Options ro = protocol == Protocol.LEGACY ? receiverOptions.withAcceptJvz(false) : receiverOptions;
        ReceiverServer server = new ReceiverServer(ro, target, dataConnection());
        FaultProxy proxy = new FaultProxy(server.address(), fault, record);
        run.proxy = proxy;
        proxy.hook = () -> hook.accept(server);
        run.receiver = server.outcome;
        try {
            JvzOptions opts = jvzOptions != null ? jvzOptions
                    : JvzOptions.defaults().withFinalImage(() -> finalImage(run.source));
            long t0 = System.nanoTime();
            try (CopySink sink = CopySinks.open(() -> connect(proxy.port()), opts, helloTimeout, stallTimeout)) {
                if (protocol == Protocol.JVZ && !(sink instanceof JvzStreamSink)) {
                    throw new AssertionError("expected a jvz sink, got " + sink);
                }
                if (protocol == Protocol.LEGACY && !(sink instanceof LegacyStreamSink)) {
                    throw new AssertionError("expected the legacy fallback, got " + sink);
                }
                boolean[] triggered = {false};
                run.report = LiveCopy.builder(run.source.toString(), sink, () -> {
                            run.tracker.set(WriteTracker.start(image, 4096));
                            return DirtySource.of(run.tracker.get());
                        }, () -> {
                            FileSource real = FileSource.open(run.source);
                            return new FileSource() {
                                @Override
                                public int read(ByteBuffer dst, long pos) throws IOException {
                                    if (!triggered[0] && pos >= fileSize / 2) {
                                        triggered[0] = true; // pass 1 is half-way: let the writer run, wait for it
                                        go.countDown();
                                        awaitUninterruptibly(done);
                                    }
                                    return real.read(dst, pos);
                                }

                                @Override
                                public void close() throws IOException {
                                    real.close();
                                }
                            };
                        })
                        .freezeStep(run.freeze)
                        .build()
                        .run();
            } catch (Throwable t) {
                run.failure = t;
            }
            run.nanos = System.nanoTime() - t0;
        } finally {
            go.countDown(); // a copy that failed before half-way must not leave the writer waiting
            writer.join(10_000);
            // Let the proxy pass on what the sender wrote last (a legacy END has no answer to wait
            // for) before closing it; a stalled proxy holds the receiver until it is closed.
            if (fault.kind() != FaultProxy.Kind.STALL) {
                try {
                    server.outcome.handle((x, t) -> null).get(10, TimeUnit.SECONDS);
                } catch (java.util.concurrent.TimeoutException e) {
                    // reported by the test through the outcome
                }
            }
            try {
                proxy.close(); // waits for its pumps: run.proxy.fired is final from here on
            } finally {
                server.close();
            }
        }
        if (writer.isAlive()) {
            throw new AssertionError("the scripted writer did not end within 10 s");
        }
        if (writerFailure.get() != null) {
            throw new AssertionError("the scripted writer failed", writerFailure.get());
        }
        return run;
    }

    /** Rewrites {@link #DIRTY_BYTES} of the disk at {@code at} with random data, then flushes. */
    static void rewrite(Image image, long at, Random r) throws IOException {
        byte[] b = new byte[64 << 10];
        for (long off = at; off < at + DIRTY_BYTES; off += b.length) {
            r.nextBytes(b);
            image.write(off, ByteBuffer.wrap(b));
        }
        image.flush();
    }

    /** What the destination must hold: the source file with the header's inUse cleared. */
    static FinalImage finalImage(Path source) throws IOException {
        try (FileChannel ch = FileChannel.open(source, StandardOpenOption.READ)) {
            return FinalImage.of(ch, ch.size(), 0, cleanHeader(ch));
        }
    }

    static byte[] cleanHeader(FileChannel ch) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(PloopFormat.HEADER_SIZE);
        ch.read(b, 0);
        b.flip();
        try {
            PloopHeader h = PloopHeader.decode(b, "source");
            ByteBuffer e = h.withInUse(PloopFormat.INUSE_CLOSED).encode();
            byte[] out = new byte[PloopFormat.HEADER_SIZE];
            e.get(out);
            return out;
        } catch (dev.jvz.image.ImageException ex) {
            throw new IOException(ex);
        }
    }

    static Transports.Duplex connect(int port) throws IOException {
        Socket s = new Socket();
        s.setSendBufferSize(FaultProxy.BUFFER); // small, so the sender stays close to where a fault hits
        s.setTcpNoDelay(true);
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        return new Transports.Duplex(s.getInputStream(), s.getOutputStream(), s);
    }

    static void awaitUninterruptibly(CountDownLatch l) {
        try {
            if (!l.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("latch timed out");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A receiver process: accepts connections one after another, runs {@link Receiver#receive} on each
     * and closes it (as a receiver process exits). The connection number {@code dataConnection} is the
     * copy's; its outcome is {@link #outcome}. {@link #kill()} closes the current connection's socket
     * under the receiving thread, as if the process died.
     */
    static final class ReceiverServer implements AutoCloseable {
        final CompletableFuture<Receiver.Result> outcome = new CompletableFuture<>();
        private final ServerSocket ss;
        private volatile Socket current;

        ReceiverServer(Receiver.Options options, Path target, int dataConnection) throws IOException {
            ss = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
            Thread.ofPlatform().daemon().name("receiver").start(() -> {
                for (int i = 1; i <= dataConnection; i++) {
                    try (Socket s = ss.accept()) {
                        current = s;
                        Receiver.Result res = new Receiver().receive(s.getInputStream(), s.getOutputStream(), target,
                                options);
                        if (i == dataConnection) {
                            outcome.complete(res);
                        }
                    } catch (Throwable t) {
                        if (i == dataConnection || ss.isClosed()) {
                            outcome.completeExceptionally(t);
                            return;
                        }
                    }
                }
            });
        }

        InetSocketAddress address() {
            return new InetSocketAddress(InetAddress.getLoopbackAddress(), ss.getLocalPort());
        }

        void kill() {
            try {
                current.close();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }

        @Override
        public void close() throws IOException {
            // Do not close the listening socket before the receiver is done: it may still be accepting
            // the legacy connection. Wait for the outcome, bounded.
            try {
                outcome.handle((r, t) -> null).get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // reported by the test through outcome
            }
            ss.close();
        }
    }

    // ---- the stream map: where each phase of a clean run lies in the sender→receiver bytes ------

    /** One frame of a recorded stream: where it starts and ends, its kind, image position, data bytes. */
    record Frame(long start, long end, String kind, long pos, int dataBytes) {}

    /** A byte range [from, to) of the stream. */
    record Range(long from, long to) {
        long pick(Random r, long margin) {
            long hi = Math.max(from + 1, to - margin);
            return from + r.nextLong(hi - from);
        }
    }

    static List<Frame> frames(byte[] s, Protocol p) {
        ByteBuffer b = ByteBuffer.wrap(s).order(ByteOrder.LITTLE_ENDIAN);
        List<Frame> out = new ArrayList<>();
        int o = 0;
        while (o < s.length) {
            if (p == Protocol.JVZ) {
                int type = b.get(o + 4) & 0xff;
                int wire = b.getInt(o + 8);
                int raw = b.getInt(o + 12);
                long pos = b.getLong(o + 16);
                String kind = switch (type) {
                    case JvzFormat.HELLO -> "HELLO";
                    case JvzFormat.DATA -> "DATA";
                    case JvzFormat.SYNC -> "SYNC";
                    case JvzFormat.END -> "END";
                    default -> "0x" + Integer.toHexString(type);
                };
                out.add(new Frame(o, o + 32L + wire, kind, pos, type == JvzFormat.DATA ? raw : 0));
                o += 32 + wire;
            } else {
                int size = b.getInt(o + 4);
                long pos = b.getLong(o + 8);
                String kind = size == 0 ? "END" : size == LegacyFormat.SYNC_SIZE ? "SYNC" : "DATA";
                out.add(new Frame(o, o + 16L + size, kind, pos, kind.equals("DATA") ? size : 0));
                o += 16 + size;
            }
        }
        return out;
    }

    /** Phase ranges of a clean run's stream. */
    record StreamMap(List<Frame> frames, Range pass1, Range pass2, Range sync, Range frozen, Range header,
            Range finish, Frame endFrame, long total) {}

    static StreamMap map(byte[] stream, Protocol p, CopyReport report) {
        List<Frame> frames = frames(stream, p);
        List<CopyReport.Pass> passes = report.passes();
        if (passes.size() != 4 || passes.get(2).bytes() != 0) {
            throw new AssertionError("expected passes: linear, dirty, empty pre-freeze, frozen; got " + passes);
        }
        int i = 0;
        while (!frames.get(i).kind().equals("DATA")) {
            i++; // HELLO
        }
        Range[] data = new Range[3];
        long[] want = {passes.get(0).bytes(), passes.get(1).bytes(), passes.get(3).bytes()};
        Range sync = null;
        for (int k = 0; k < 3; k++) {
            if (k == 2) {
                Frame f = frames.get(i++);
                if (!f.kind().equals("SYNC")) {
                    throw new AssertionError("expected SYNC before the frozen pass, got " + f);
                }
                sync = new Range(f.start(), f.end());
            }
            long start = frames.get(i).start();
            long got = 0;
            while (got < want[k]) {
                Frame f = frames.get(i++);
                if (!f.kind().equals("DATA")) {
                    throw new AssertionError("pass " + k + ": unexpected " + f);
                }
                got += f.dataBytes();
            }
            data[k] = new Range(start, frames.get(i - 1).end());
        }
        Frame header = frames.get(i++);
        if (!header.kind().equals("DATA") || header.pos() != 0 || header.dataBytes() != PloopFormat.SECTOR_SIZE) {
            throw new AssertionError("expected the clean header sector, got " + header);
        }
        long finishStart = frames.get(i).start();
        Frame end = frames.getLast();
        if (!end.kind().equals("END")) {
            throw new AssertionError("expected END last, got " + end);
        }
        return new StreamMap(frames, data[0], data[1], sync, data[2], new Range(header.start(), header.end()),
                new Range(finishStart, end.end()), end, stream.length);
    }
}
