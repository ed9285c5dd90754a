package dev.jvz.bench;

import dev.jvz.copy.CopyReport;
import dev.jvz.copy.CopySink;
import dev.jvz.copy.FreezeStep;
import dev.jvz.copy.JvzOptions;
import dev.jvz.copy.JvzStreamSink;
import dev.jvz.copy.LegacyStreamSink;
import dev.jvz.copy.LiveCopy;
import dev.jvz.copy.Receiver;
import dev.jvz.copy.Transports;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Benchmark harness for the live copy ({@code dev.jvz.copy}), run by {@code bench/copy-bench.sh}. Each
 * mode prints {@code key=value} result lines the script parses.
 *
 * <pre>
 * mkimage IMG --size BYTES [--seed S]                       a fully allocated ploop image of random data
 * receive --out FILE [--listen 127.0.0.1:0]                 one Receiver; prints "port=N" once listening
 * send    IMG --out FILE --protocol legacy|jvz              LiveCopy of an idle image to a receiver JVM
 *         [--discard true]                                  legacy only: the receiver JVM reads and drops
 *                                                           the data (the send side's ceiling, no disk write)
 * discard [--listen 127.0.0.1:0]                            that receiver: parses legacy frames, answers
 *                                                           syncs, writes nothing
 * live    IMG --out FILE --protocol legacy|jvz [--runs 6] [--rate-mib 7] [--writers 4] [--flush-every 64]
 *         [--max-downtime-ms 50] [--warmup-ms 1000] [--verify true]
 *                                                           LiveCopy under a paced random-write load
 * </pre>
 *
 * <p>The receiver always runs in a second JVM (a child process started with this JVM's java and
 * class path), reached over TCP loopback, writing {@code --out} on the same disk as the source.
 *
 * <p>Not thread-safe; a command-line tool.
 */
public final class CopyBench {
    private static final double MIB = 1024.0 * 1024.0;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    private CopyBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage("no mode given");
        }
        BenchArgs a = new BenchArgs(args, java.util.Set.of(), CopyBench::usage);
        switch (args[0]) {
            case "mkimage" -> mkimage(Path.of(a.positional(0)), a.size("--size", -1), a.longOpt("--seed", 1));
            case "receive" -> receive(Path.of(a.required("--out")), a.opt("--listen", "127.0.0.1:0"));
            case "send" -> send(Path.of(a.positional(0)), Path.of(a.required("--out")), a.opt("--protocol", "legacy"),
                    Boolean.parseBoolean(a.opt("--discard", "false")));
            case "discard" -> discard(a.opt("--listen", "127.0.0.1:0"));
            case "live" -> live(Path.of(a.positional(0)), Path.of(a.required("--out")), a.opt("--protocol", "legacy"),
                    a.intOpt("--runs", 6), Double.parseDouble(a.opt("--rate-mib", "7")), a.intOpt("--writers", 4),
                    a.intOpt("--flush-every", 64), a.intOpt("--max-downtime-ms", 50), a.intOpt("--warmup-ms", 1000),
                    Boolean.parseBoolean(a.opt("--verify", "true")), a.longOpt("--seed", 1));
            default -> usage("unknown mode '" + args[0] + "'");
        }
    }

    private static void usage(String why) {
        System.err.println("CopyBench: " + why + "\nusage: CopyBench mkimage|receive|send|live ...; see the class comment");
        System.exit(2);
    }

    // ---- mkimage ---------------------------------------------------------------------------------

    /** Every cluster allocated and full of random data (nothing for a sparse copy to skip). */
    static void mkimage(Path img, long size, long seed) throws IOException, ImageException {
        if (size <= 0) {
            usage("mkimage needs --size");
        }
        Files.deleteIfExists(img);
        Image.create(img, CreateOptions.of(size));
        SplittableRandom r = new SplittableRandom(seed);
        ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
        try (Image image = Image.open(img, true)) {
            for (long off = 0; off < size; off += buf.capacity()) {
                buf.clear().limit((int) Math.min(buf.capacity(), size - off));
                while (buf.remaining() >= 8) {
                    buf.putLong(r.nextLong());
                }
                buf.flip();
                image.write(off, buf);
            }
            image.flush();
        }
        System.out.printf("mode=mkimage virtual_bytes=%d file_bytes=%d%n", size, Files.size(img));
    }

    // ---- receiver (child JVM) ----------------------------------------------------------------------

    static void receive(Path out, String listen) throws IOException {
        try (ServerSocket ss = Transports.listen(listen)) {
            System.out.println("port=" + ss.getLocalPort());
            System.out.flush();
            try (Transports.Duplex d = Transports.accept(ss, CONNECT_TIMEOUT)) {
                long t0 = System.nanoTime();
                Receiver.Result r = new Receiver().receive(d.in(), d.out(), out, Receiver.Options.defaults());
                double s = (System.nanoTime() - t0) / 1e9;
                // Wall-clock ms (same machine as the sender): when receive() returned, for the sender's
                // breakdown of the time between its last answer and this JVM's exit.
                System.out.printf("mode=receive protocol=%s bytes=%d syncs=%d returned_at_ms=%d seconds=%.3f%n",
                        r.protocol(), r.bytesWritten(), r.syncs(), System.currentTimeMillis(), s);
            }
        }
    }

    /**
     * A legacy-stream receiver that writes nothing: it parses the 16-byte frame headers (u32 marker,
     * u32 size, u64 pos, little-endian; PLOOP-FORMAT.md section 3), skips the payloads, answers a sync
     * request (size 4 at pos 0) with SUCCESS and stops at the end frame (size 0). Measures what the
     * sender and the loopback connection can do without the destination disk.
     */
    static void discard(String listen) throws IOException {
        try (ServerSocket ss = Transports.listen(listen)) {
            System.out.println("port=" + ss.getLocalPort());
            System.out.flush();
            try (Transports.Duplex d = Transports.accept(ss, CONNECT_TIMEOUT)) {
                java.io.DataInputStream in = new java.io.DataInputStream(new java.io.BufferedInputStream(d.in(), 256 * 1024));
                byte[] head = new byte[16];
                byte[] skip = new byte[256 * 1024];
                long bytes = 0;
                int syncs = 0;
                long t0 = System.nanoTime();
                while (true) {
                    in.readFully(head);
                    ByteBuffer h = ByteBuffer.wrap(head).order(java.nio.ByteOrder.LITTLE_ENDIAN);
                    int marker = h.getInt();
                    long size = Integer.toUnsignedLong(h.getInt());
                    long pos = h.getLong();
                    if (marker != 0x4cc0ac3d || size > 16L << 20) {
                        throw new IOException("not a legacy ploop-copy frame: marker 0x" + Integer.toHexString(marker)
                                + ", size " + size);
                    }
                    if (size == 0) {
                        break;
                    }
                    for (long left = size; left > 0; ) {
                        int n = (int) Math.min(left, skip.length);
                        in.readFully(skip, 0, n);
                        left -= n;
                    }
                    if (size == 4 && pos == 0) {
                        syncs++;
                        d.out().write("SUCCESS\n".getBytes(StandardCharsets.US_ASCII));
                        d.out().flush();
                    } else {
                        bytes += size;
                    }
                }
                System.out.printf("mode=receive protocol=legacy-discard bytes=%d syncs=%d seconds=%.3f%n", bytes, syncs,
                        (System.nanoTime() - t0) / 1e9);
            }
        }
    }

    /** A receiver JVM started with this JVM's java, flags and class path. */
    private static final class ReceiverProcess implements AutoCloseable {
        final Process process;
        final int port;
        private final BufferedReader stdout;

        ReceiverProcess(Path out) throws IOException {
            this(out, false);
        }

        /** @param discard run {@link #discard} instead of a real receiver (out is then unused) */
        ReceiverProcess(Path out, boolean discard) throws IOException {
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> cmd = new ArrayList<>(List.of(java, "-XX:+UseSerialGC", "-Xshare:auto",
                    "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    CopyBench.class.getName()));
            cmd.addAll(discard ? List.of("discard") : List.of("receive", "--out", out.toString()));
            process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            stdout = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String line = stdout.readLine();
            while (line != null && !line.startsWith("port=")) { // e.g. JVM log lines (JFR) come first
                line = stdout.readLine();
            }
            if (line == null) {
                process.destroyForcibly();
                throw new IOException("the receiver JVM did not report its port (got '" + line + "')");
            }
            port = Integer.parseInt(line.substring(5));
        }

        CopySink connect(String protocol) throws IOException {
            Transports.Duplex d = Transports.connect("127.0.0.1:" + port, CONNECT_TIMEOUT);
            return switch (protocol) {
                case "legacy" -> new LegacyStreamSink(d.out(), d.in());
                // These copies end without a final digest: no hash-list hint, or the receiver would hash
                // every block for nothing (as 'jvz ploop copy --no-digest' does not ask for it either).
                case "jvz" -> JvzStreamSink.open(d.out(), d.in(), JvzOptions.defaults().withHashList(false));
                default -> throw new IllegalArgumentException("protocol: " + protocol + " (expected: legacy|jvz)");
            };
        }

        /** Waits for the receiver to exit; returns its result line. */
        String await() throws IOException, InterruptedException {
            String line = stdout.readLine();
            while (line != null && !line.startsWith("mode=receive")) {
                line = stdout.readLine();
            }
            if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
                throw new IOException("the receiver JVM failed (exit " + (process.isAlive() ? "none" : process.exitValue())
                        + ")");
            }
            return line;
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
            }
        }
    }

    // ---- send: pass-1 throughput of an idle image ----------------------------------------------------

    static void send(Path img, Path out, String protocol, boolean discard) throws Exception {
        if (discard && !protocol.equals("legacy")) {
            usage("--discard works with --protocol legacy only");
        }
        Files.deleteIfExists(out);
        long t0 = System.nanoTime();
        try (ReceiverProcess rp = new ReceiverProcess(out, discard); Image image = Image.open(img, false)) {
            long t1 = System.nanoTime();
            CopyReport r;
            try (CopySink sink = rp.connect(protocol)) {
                r = LiveCopy.builder(image, sink).build().run();
            }
            long doneMs = System.currentTimeMillis(); // the copy's last answer is in
            String recv = rp.await();
            long exitedMs = System.currentTimeMillis();
            double total = (System.nanoTime() - t0) / 1e9;
            CopyReport.Pass p1 = r.passes().getFirst();
            System.out.printf("mode=send protocol=%s%s file_bytes=%d pass1_bytes=%d pass1_seconds=%.3f pass1_mib_s=%.1f"
                            + " passes=%d copy_seconds=%.3f copy_mib_s=%.1f wall_seconds=%.3f jvm_start_seconds=%.3f%n",
                    protocol, discard ? "-discard" : "", r.fileSize(), p1.bytes(), p1.nanos() / 1e9, p1.bandwidth() / MIB, r.passes().size(),
                    r.totalNanos() / 1e9, r.fileSize() / MIB / (r.totalNanos() / 1e9), total, (t1 - t0) / 1e9);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("returned_at_ms=(\\d+)").matcher(recv);
            System.out.printf("receiver_returned_after_done_ms=%s receiver_exited_after_done_ms=%d%n",
                    m.find() ? String.valueOf(Long.parseLong(m.group(1)) - doneMs) : "?", exitedMs - doneMs);
            System.out.println(recv);
        }
    }

    // ---- live: the frozen window under a write load --------------------------------------------------

    /**
     * Writer threads doing 4 KiB random writes through {@link Image#write} at a paced total rate, with a
     * flush every {@code flushEvery} writes of a thread (like a database's commits). The freeze step
     * stops them as FIFREEZE would: it takes the write side of {@link #gate}, so it waits for the writes
     * and flushes in flight and blocks new ones, then flushes the image (the syncfs part).
     */
    private static final class Load implements FreezeStep {
        /** Backlog a writer may make up after a slow write or flush (a few fdatasyncs). */
        private static final long CATCH_UP_NANOS = 50_000_000;
        private final Image image;
        private final ReentrantReadWriteLock gate = new ReentrantReadWriteLock();
        private final List<Thread> threads = new ArrayList<>();
        private final AtomicLong writes = new AtomicLong();
        private volatile boolean stop;
        private volatile boolean stopAtThaw;
        private volatile Throwable failure;

        Load(Image image, double mibPerSecond, int writers, int flushEvery, long seed) {
            this.image = image;
            long perWriterNanos = (long) (writers * 4096 / (mibPerSecond * MIB) * 1e9);
            long blocks = image.size() / 4096;
            for (int w = 0; w < writers; w++) {
                long s = seed * 31 + w;
                threads.add(Thread.ofPlatform().name("bench-writer-" + w).daemon(true).start(() -> {
                    SplittableRandom r = new SplittableRandom(s);
                    ByteBuffer data = ByteBuffer.allocateDirect(4096);
                    long next = System.nanoTime();
                    try {
                        for (long i = 1; !stop; i++) {
                            data.clear();
                            while (data.hasRemaining()) {
                                data.putLong(r.nextLong());
                            }
                            data.flip();
                            long off = r.nextLong(blocks) * 4096;
                            gate.readLock().lock();
                            try {
                                if (stop) {
                                    break;
                                }
                                image.write(off, data);
                                if (i % flushEvery == 0) {
                                    image.flush();
                                }
                            } finally {
                                gate.readLock().unlock();
                            }
                            writes.incrementAndGet();
                            // A fixed schedule, not a fixed pause, so a slow flush is made up and the
                            // average rate holds; but at most CATCH_UP_NANOS of backlog, so the time
                            // spent frozen does not come back as a burst.
                            next = Math.max(next + perWriterNanos, System.nanoTime() - CATCH_UP_NANOS);
                            LockSupport.parkNanos(next - System.nanoTime());
                        }
                    } catch (Throwable t) {
                        failure = t;
                    }
                }));
            }
        }

        @Override
        public void freeze() throws IOException {
            gate.writeLock().lock();
            image.flush();
        }

        @Override
        public void thaw() {
            if (stopAtThaw) {
                stop = true; // as in a migration: the source stays stopped after the copy
            }
            if (gate.writeLock().isHeldByCurrentThread()) {
                gate.writeLock().unlock();
            }
        }

        void stop() throws InterruptedException {
            stop = true;
            for (Thread t : threads) {
                t.join(10_000);
            }
            if (failure != null) {
                throw new IllegalStateException("a writer failed", failure);
            }
        }
    }

    static void live(Path img, Path out, String protocol, int runs, double rateMib, int writers, int flushEvery,
            int maxDowntimeMs, int warmupMs, boolean verify, long seed) throws Exception {
        System.out.printf("# live: protocol=%s runs=%d rate=%.1f MiB/s of 4 KiB random writes, %d writers, flush every"
                        + " %d writes per writer, maxDowntime=%d ms, receiver in a second JVM over TCP loopback%n",
                protocol, runs, rateMib, writers, flushEvery, maxDowntimeMs);
        List<Double> frozenMs = new ArrayList<>();
        for (int run = 1; run <= runs; run++) {
            Files.deleteIfExists(out);
            CopyReport r;
            long loadWrites;
            double loadSeconds;
            try (ReceiverProcess rp = new ReceiverProcess(out); Image image = Image.open(img, true)) {
                Load load = new Load(image, rateMib, writers, flushEvery, seed + run);
                load.stopAtThaw = true;
                long l0 = System.nanoTime();
                try {
                    Thread.sleep(warmupMs);
                    try (CopySink sink = rp.connect(protocol)) {
                        r = LiveCopy.builder(image, sink).maxDowntime(Duration.ofMillis(maxDowntimeMs)).freezeStep(load)
                                .preFreezeSync(() -> {
                                    try {
                                        image.flush(); // the unfrozen syncfs
                                    } catch (IOException e) {
                                        throw new java.io.UncheckedIOException(e);
                                    }
                                })
                                .build().run();
                    }
                } finally {
                    load.stop();
                }
                loadWrites = load.writes.get();
                loadSeconds = (System.nanoTime() - l0) / 1e9;
                rp.await();
            }
            print(run, r, loadWrites, loadSeconds);
            frozenMs.add(r.frozen().totalNanos() / 1e6);
            if (verify) {
                // The writers stopped at the thaw, so the source (now closed, clean) must equal the copy.
                long diff = firstDifference(img, out);
                if (diff >= 0) {
                    throw new IllegalStateException("run " + run + ": the copy differs from the source at byte " + diff);
                }
                System.out.println("run=" + run + " verify=identical");
            }
        }
        double[] m = frozenMs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double median = m.length % 2 == 1 ? m[m.length / 2] : (m[m.length / 2 - 1] + m[m.length / 2]) / 2;
        System.out.printf("summary protocol=%s runs=%d frozen_ms_median=%.1f frozen_ms_min=%.1f frozen_ms_max=%.1f%n",
                protocol, runs, median, m[0], m[m.length - 1]);
    }

    private static void print(int run, CopyReport r, long writes, double seconds) {
        StringBuilder passes = new StringBuilder();
        for (CopyReport.Pass p : r.passes()) {
            passes.append(passes.isEmpty() ? "" : ",").append(p.phase().name().charAt(0)).append(':')
                    .append(p.bytes()).append('/').append(String.format("%.1fms", p.nanos() / 1e6));
        }
        CopyReport.Frozen f = r.frozen();
        System.out.printf("run=%d passes=%d stop=%s load_mib_s=%.2f pass_bytes=%s frozen_ms=%.2f freeze_ms=%.2f"
                        + " final_pass_ms=%.2f sync_ms=%.2f thaw_ms=%.2f final_bytes=%d total_s=%.2f%n",
                run, r.passes().size(), r.stopReason(), writes * 4096 / MIB / seconds, passes, f.totalNanos() / 1e6,
                f.freezeNanos() / 1e6, f.finalPassNanos() / 1e6, f.syncNanos() / 1e6, f.thawNanos() / 1e6,
                f.finalBytes(), r.totalNanos() / 1e9);
    }

    /**
     * First differing byte of two files, or -1; the 4-byte inUse field of the header is skipped (the
     * source was reopened and closed, the copy got a clean header: both are clean, but compare data).
     */
    static long firstDifference(Path a, Path b) throws IOException {
        try (FileChannel ca = FileChannel.open(a, StandardOpenOption.READ);
             FileChannel cb = FileChannel.open(b, StandardOpenOption.READ)) {
            if (ca.size() != cb.size()) {
                return Math.min(ca.size(), cb.size());
            }
            ByteBuffer ba = ByteBuffer.allocateDirect(4 << 20);
            ByteBuffer bb = ByteBuffer.allocateDirect(4 << 20);
            for (long pos = 0; pos < ca.size(); pos += ba.capacity()) {
                ba.clear();
                bb.clear();
                while (ba.hasRemaining() && ca.read(ba, pos + ba.position()) > 0) { }
                while (bb.hasRemaining() && cb.read(bb, pos + bb.position()) > 0) { }
                ba.flip();
                bb.flip();
                if (pos == 0) {
                    int inUse = 0x2c; // PloopHeader: m_DiskInUse at byte 44 of the 64-byte header
                    for (int i = 0; i < 4; i++) {
                        ba.put(inUse + i, (byte) 0);
                        bb.put(inUse + i, (byte) 0);
                    }
                }
                int m = ba.mismatch(bb);
                if (m >= 0) {
                    return pos + m;
                }
            }
            return -1;
        }
    }
}
