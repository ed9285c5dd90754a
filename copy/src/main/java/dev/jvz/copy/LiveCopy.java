package dev.jvz.copy;

import dev.jvz.copy.CopyReport.Frozen;
import dev.jvz.copy.CopyReport.Pass;
import dev.jvz.copy.CopyReport.Phase;
import dev.jvz.copy.CopyReport.StopReason;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import dev.jvz.image.WriteTracker;
import dev.jvz.image.WriteTracker.Extent;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Objects;

/**
 * Copies the top delta file of a live image to a {@link CopySink} while other threads keep writing it,
 * ploop-copy style (PLOOP-FORMAT.md section 3):
 * <ol>
 *   <li>Start a {@link WriteTracker}. Pass 1 reads the whole file linearly, moving the track end before
 *       each chunk it reads (the tracker's rule); later passes send the extents the tracker reports
 *       dirty. Reading and sending overlap ({@link PassPipeline}).
 *   <li>After each live pass, {@link PassPolicy} decides whether to iterate: stop when nothing is dirty,
 *       after ploop's 10 dirty passes, when the dirty passes re-sent more than the file size, or when the
 *       predicted final pass fits the maximum downtime.
 *   <li>Then: the pre-freeze sync (syncfs while running, so the frozen syncfs has little left), one more
 *       unfrozen pass, {@link CopySink#sync()} (wait for the receiver's ack), the {@link FreezeStep},
 *       final passes until nothing is dirty (more than {@link #MAX_FROZEN_WRAPS} wrap-arounds while
 *       frozen abort the copy: something still writes), the header sector re-read from the file and
 *       sent with inUse cleared (the copy is clean; the source keeps its own header),
 *       {@link CopySink#finish()}, thaw.
 *   <li>With a final digest ({@link Builder#finalDigest}): the hash list of {@link RangeDigests} is kept
 *       up to date while the data is sent; the ranges still invalid are re-hashed before the freeze, the
 *       few the final passes touched while frozen; the frozen window then ends with
 *       {@link CopySink#sync()} (the copy is durable), the thaw follows, and only then
 *       {@link CopySink#finish(FinalImage)} makes the receiver read its copy back and compare: that
 *       whole-image read is outside the frozen window.
 * </ol>
 * On every path the freeze step is thawed exactly once if it was called, and the tracker is stopped.
 * The sink is not closed here: its owner closes it (after a failure that drops the partial copy).
 *
 * <pre>{@code
 * CopyReport r = LiveCopy.builder(image, sink)
 *         .maxDowntime(Duration.ofMillis(200))
 *         .freezeStep(suspendAndFifreeze)
 *         .preFreezeSync(() -> syncfs(mountPoint))
 *         .build()
 *         .run();
 * }</pre>
 *
 * <p>Thread-safety: one {@link #run()} per instance, on one thread; it starts one reader thread per pass.
 */
public final class LiveCopy {
    /** ploop aborts when the frozen final passes wrap around more than twice: a writer was not stopped. */
    public static final int MAX_FROZEN_WRAPS = 2;
    /**
     * Bytes per pipeline block: large enough that per-block costs (queue hand-over, a sink frame header)
     * vanish next to the data, small enough that {@link PassPipeline#DEPTH} direct buffers stay a few MiB.
     */
    static final int DEFAULT_BLOCK_BYTES = 1 << 20;

    /** Hears about progress; called on the thread running {@link LiveCopy#run()}. */
    public interface Listener {
        /** A pass ended. */
        default void passDone(Pass pass) {
        }

        /** The live passes stopped for {@code reason}; the pre-freeze sync and freeze come next. */
        default void iterationStopped(StopReason reason) {
        }

        /** Data is being sent: called at most every {@link #PROGRESS_INTERVAL_NANOS} (by the copy's clock). */
        default void progress(Progress p) {
        }
    }

    /** How often {@link Listener#progress} is called while data flows: a terminal line redraws at this pace. */
    public static final long PROGRESS_INTERVAL_NANOS = 200_000_000L;

    /**
     * Where a running copy is (a plain record of numbers, so the node can stream it as JSON).
     *
     * @param pass 1-based number of the pass running
     * @param phase its phase
     * @param passBytes bytes sent in this pass so far
     * @param passNanos time since this pass started
     * @param totalBytes bytes sent in all passes so far
     * @param dirtyBytes what is still to send if the writers stopped now: the part of the file pass 1 has
     *     not reached yet plus every extent written since it was last sent (the re-dirtied data), by the
     *     write tracker; the blocks in the pipeline (a few MiB) are not counted
     * @param fileSize bytes of the image file now
     */
    public record Progress(int pass, Phase phase, long passBytes, long passNanos, long totalBytes, long dirtyBytes,
            long fileSize) {
        /** Seconds until what is dirty now is sent, at this pass's rate; -1 when there is no rate yet. */
        public double etaSeconds() {
            if (passBytes <= 0 || passNanos <= 0) {
                return -1;
            }
            return dirtyBytes / (passBytes / (passNanos / 1e9));
        }
    }

    /** Starts the dirty-extent source (the real tracker, or a scripted one in tests). */
    @FunctionalInterface
    interface TrackerStarter {
        DirtySource start() throws IOException, ImageException;
    }

    /** Opens the file to read (the real top delta, or a slow/in-memory one in tests). */
    @FunctionalInterface
    interface SourceOpener {
        FileSource open() throws IOException;
    }

    private final String name;
    private final CopySink sink;
    private final TrackerStarter trackerStarter;
    private final SourceOpener sourceOpener;
    private final PassPolicy policy;
    private final FreezeStep freezeStep;
    private final Runnable preFreezeSync;
    private final NanoClock clock;
    private final Listener listener;
    private final int blockBytes;
    private final ResumeInfo resume;
    private final java.nio.file.Path resumeSource;
    private final boolean finalDigest;
    /**
     * The final digest's ranges (with {@link #finalDigest}): fed by each pass's reader thread as it reads
     * (off the sending thread, so hashing overlaps sending), refreshed and finished by this thread;
     * thread start and join order every access, as for {@link #pending}.
     */
    private RangeDigests digests;
    /** The pass being sent, for {@link Listener#progress}: written and read by this thread only. */
    private int curPass;
    private Phase curPhase;
    private DirtySource curTracker;
    private long passStart;
    private long passSent;
    private long totalSent;
    private long lastProgress;

    /**
     * Extents a drain returned that already belong to the next pass (it wrapped to a lower offset): set
     * by one pass's reader thread, read by this thread after joining it and by the next pass's reader
     * (started after): thread start and join order every access, no lock needed.
     */
    private List<Extent> pending;

    private LiveCopy(Builder b) {
        this.name = b.name;
        this.sink = b.sink;
        this.trackerStarter = b.trackerStarter;
        this.sourceOpener = b.sourceOpener;
        this.policy = new PassPolicy(b.maxDowntime);
        this.freezeStep = b.freezeStep;
        this.preFreezeSync = b.preFreezeSync;
        this.clock = b.clock;
        this.listener = b.listener;
        this.blockBytes = b.blockBytes;
        this.resume = b.resume != null ? b.resume : sink.resume();
        this.resumeSource = b.resumeSource;
        this.finalDigest = b.finalDigest;
    }

    /** A copy of {@code image}'s top delta file to {@code sink}. */
    public static Builder builder(Image image, CopySink sink) {
        Objects.requireNonNull(image, "image");
        Path top = image.topPath();
        Builder b = new Builder(top.toString(), sink);
        b.trackerStarter = () -> DirtySource.of(WriteTracker.start(image, b.granularity));
        b.sourceOpener = () -> FileSource.open(top);
        b.resumeSource = top;
        b.granularity = (int) Math.min(WriteTracker.DEFAULT_GRANULARITY, image.clusterBytes());
        return b;
    }

    /** Package-private: a copy fed by a scripted tracker and source (pass-policy and failure tests). */
    static Builder builder(String name, CopySink sink, TrackerStarter tracker, SourceOpener source) {
        Builder b = new Builder(name, sink);
        b.trackerStarter = tracker;
        b.sourceOpener = source;
        return b;
    }

    /** Options of a {@link LiveCopy}; every one but image and sink has a default. */
    public static final class Builder {
        private final String name;
        private final CopySink sink;
        private TrackerStarter trackerStarter;
        private SourceOpener sourceOpener;
        private int granularity = WriteTracker.DEFAULT_GRANULARITY;
        private Duration maxDowntime;
        private FreezeStep freezeStep = FreezeStep.NONE;
        private Runnable preFreezeSync = () -> { };
        private NanoClock clock = NanoClock.SYSTEM;
        private Listener listener = new Listener() { };
        private int blockBytes = DEFAULT_BLOCK_BYTES;
        private ResumeInfo resume;
        private java.nio.file.Path resumeSource;
        private boolean finalDigest;

        private Builder(String name, CopySink sink) {
            this.name = name;
            this.sink = Objects.requireNonNull(sink, "sink");
        }

        /** Unit of dirty tracking in bytes (default 4 KiB, at most the cluster size); see {@link WriteTracker#start(Image, int)}. */
        public Builder granularity(int bytes) {
            this.granularity = bytes;
            return this;
        }

        /** Stop iterating as soon as the final pass is predicted to take at most this long (default: no limit). */
        public Builder maxDowntime(Duration d) {
            if (d != null && d.isNegative()) {
                throw new IllegalArgumentException("maxDowntime: " + d + " (expected: not negative)");
            }
            this.maxDowntime = d;
            return this;
        }

        /** Stops the writers for the final passes (default: nothing to stop). */
        public Builder freezeStep(FreezeStep f) {
            this.freezeStep = Objects.requireNonNull(f, "freezeStep");
            return this;
        }

        /** Runs before the last unfrozen pass, e.g. syncfs of the mounted fs (default: nothing). May throw unchecked. */
        public Builder preFreezeSync(Runnable r) {
            this.preFreezeSync = Objects.requireNonNull(r, "preFreezeSync");
            return this;
        }

        /**
         * Resume from what the receiver kept ({@link JvzStreamSink#resume()}): pass 1 skips every range
         * whose digest matches the source when the copy starts (tracking is already on, so a later write
         * there is sent by a dirty pass). The sink must end with a final digest, which catches anything
         * else that differs (the receiver refuses a resumed copy without one). Default: what the sink
         * offers ({@link CopySink#resume()}: a jvz stream to a receiver that kept a partial copy).
         */
        public Builder resume(ResumeInfo info) {
            this.resume = Objects.requireNonNull(info, "info");
            return this;
        }

        /**
         * End with a final digest that both ends compare before the copy counts as done (default off):
         * the sink must verify one ({@link CopySink#digestRangeSize()} > 0). Its cost stays out of the
         * frozen window but for the ranges the final passes touch; see the class comment.
         */
        public Builder finalDigest(boolean v) {
            this.finalDigest = v;
            return this;
        }

        /** The clock that times passes and predicts the final one (default: {@link NanoClock#SYSTEM}). */
        public Builder clock(NanoClock c) {
            this.clock = Objects.requireNonNull(c, "clock");
            return this;
        }

        public Builder listener(Listener l) {
            this.listener = Objects.requireNonNull(l, "listener");
            return this;
        }

        /** Bytes per pipeline block (default 1 MiB); a multiple of the granularity. Tests use small ones. */
        Builder blockBytes(int bytes) {
            this.blockBytes = bytes;
            return this;
        }

        public LiveCopy build() {
            if (granularity < WriteTracker.MIN_GRANULARITY || Integer.bitCount(granularity) != 1) {
                throw new IllegalArgumentException("granularity: " + granularity + " (expected: a power of two, at least "
                        + WriteTracker.MIN_GRANULARITY + ")");
            }
            blockBytes = Math.max(blockBytes, granularity);
            if (blockBytes % granularity != 0) {
                throw new IllegalArgumentException("blockBytes " + blockBytes + " is not a multiple of the granularity "
                        + granularity);
            }
            if (finalDigest && sink.digestRangeSize() == 0) {
                throw new IllegalArgumentException("this destination (" + sink.getClass().getSimpleName()
                        + ") cannot verify a final digest; ploop's legacy stream has none");
            }
            return new LiveCopy(this);
        }
    }

    /**
     * Runs the copy; see the class comment for the steps.
     *
     * @throws LiveCopyException if a step failed (the cause is the original failure) or the frozen passes
     *     did not converge; the source is thawed and untracked, the sink not finished
     * @throws IOException, ImageException if the tracker or the file could not be started or opened
     */
    public CopyReport run() throws IOException, ImageException {
        digests = finalDigest ? new RangeDigests(sink.digestRangeSize()) : null;
        long start = clock.nanoTime();
        DirtySource tracker = trackerStarter.start();
        boolean freezeCalled = false;
        boolean thawCalled = false;
        Throwable primary = null;
        try (FileSource src = sourceOpener.open()) {
            pending = null;
            PassPipeline pipe = new PassPipeline(blockBytes);
            List<Pass> passes = new ArrayList<>();
            long liveBytes = 0;
            long liveNanos = 0;

            Pass p = linearPass(pipe, tracker, src);
            passes.add(p);
            listener.passDone(p);
            liveBytes += p.bytes();
            liveNanos += p.nanos();
            int dirtyPasses = 0;
            long resent = 0;
            StopReason reason;
            while ((reason = policy.decide(dirtyPasses, resent, tracker.fileSize(), p.dirtyBytesAtEnd(), liveBytes,
                    liveNanos)) == null) {
                p = dirtyPass(pipe, tracker, src, passes.size() + 1, Phase.LIVE);
                passes.add(p);
                listener.passDone(p);
                dirtyPasses++;
                resent += p.bytes();
                liveBytes += p.bytes();
                liveNanos += p.nanos();
            }
            listener.iterationStopped(reason);

            try {
                preFreezeSync.run();
            } catch (RuntimeException e) {
                throw new LiveCopyException(name + ": the pre-freeze sync failed (" + e.getMessage()
                        + "); nothing was frozen; fix the cause and run the copy again", e);
            }
            p = dirtyPass(pipe, tracker, src, passes.size() + 1, Phase.PRE_FREEZE);
            passes.add(p);
            listener.passDone(p);
            long h0 = clock.nanoTime();
            long preFreezeBytes = 0;
            if (digests != null) {
                // Unfrozen: most of what the live passes left unhashed. A write meanwhile is tracked and
                // sent by a final pass, which invalidates its range again.
                preFreezeBytes = refreshDigests(src, tracker.fileSize(), null);
            }
            long h1 = clock.nanoTime();
            try {
                sink.sync();
            } catch (IOException | RuntimeException e) {
                throw new LiveCopyException(name + ": the destination did not acknowledge the sync before the freeze ("
                        + e.getMessage() + "); nothing was frozen; check the destination and run the copy again", e);
            }

            long f0 = clock.nanoTime();
            freezeCalled = true;
            try {
                freezeStep.freeze();
            } catch (IOException | RuntimeException e) {
                throw new LiveCopyException(name + ": the freeze step failed (" + e.getMessage()
                        + "); the source was thawed; fix the cause and run the copy again", e);
            }
            long f1 = clock.nanoTime();
            long finalBytes = 0;
            int frozenWraps = 0;
            while (true) {
                p = dirtyPass(pipe, tracker, src, passes.size() + 1, Phase.FROZEN);
                passes.add(p);
                listener.passDone(p);
                finalBytes += p.bytes();
                if (pending == null) {
                    break; // the pass ended because nothing was dirty
                }
                if (++frozenWraps > MAX_FROZEN_WRAPS) {
                    throw new LiveCopyException(name + ": the image is still being written while frozen ("
                            + frozenWraps + " wrap-arounds in the final passes, " + tracker.dirtyBytes()
                            + " bytes dirty); the freeze step does not stop every writer; fix it and run the copy again");
                }
            }
            byte[] header = sendCleanHeader(src);
            finalBytes += header.length;
            try {
                tracker.stop();
            } catch (ImageException e) {
                throw new LiveCopyException(name + ": the write tracker still holds dirty extents after the final pass ("
                        + e.getMessage() + "); the copy is incomplete; run it again", e);
            }
            long f2 = clock.nanoTime();
            FinalImage expected = null;
            long frozenDigestBytes = 0;
            if (digests != null) {
                frozenDigestBytes = refreshDigests(src, tracker.fileSize(), header);
                expected = digests.finalImage(tracker.fileSize());
            }
            long f2d = clock.nanoTime();
            try {
                if (expected != null) {
                    sink.sync(); // durable now; the comparison (a whole-image read at the receiver) follows the thaw
                } else {
                    sink.finish();
                }
            } catch (IOException | RuntimeException e) {
                throw new LiveCopyException(name + ": the destination failed to finish the copy (" + e.getMessage()
                        + "); the source was thawed; check the destination and run the copy again", e);
            }
            long f3 = clock.nanoTime();
            thawCalled = true;
            try {
                freezeStep.thaw();
            } catch (IOException | RuntimeException e) {
                throw new LiveCopyException(name + ": the copy is complete but the thaw step failed (" + e.getMessage()
                        + "); the source is still frozen: thaw it by hand", e);
            }
            long f4 = clock.nanoTime();
            CopyReport.Verify verify = null;
            if (expected != null) {
                try {
                    sink.finish(expected);
                } catch (IOException | RuntimeException e) {
                    throw new LiveCopyException(name + ": the final digest comparison failed (" + e.getMessage()
                            + "); the copy is not valid (the source was thawed); run the copy again", e);
                }
                verify = new CopyReport.Verify(expected.hex(), expected.rangeSize(), h1 - h0, preFreezeBytes,
                        frozenDigestBytes, clock.nanoTime() - f4);
            }
            long end = clock.nanoTime();
            long total = 0;
            for (Pass x : passes) {
                total += x.bytes();
            }
            return new CopyReport(tracker.fileSize(), passes, reason,
                    new Frozen(f1 - f0, f2 - f1, f2d - f2, f3 - f2d, f4 - f3, f4 - f0, finalBytes), total,
                    end - start, verify);
        } catch (Throwable t) {
            primary = t;
            throw t;
        } finally {
            if (freezeCalled && !thawCalled) {
                try {
                    freezeStep.thaw();
                } catch (IOException | RuntimeException e) {
                    primary.addSuppressed(e);
                }
            }
            tracker.stopForce();
        }
    }

    private Pass linearPass(PassPipeline pipe, DirtySource tracker, FileSource src) throws LiveCopyException {
        long end = tracker.fileSize();
        long[] pos = {0};
        BitSet kept = keptRanges();
        if (digests != null && resume.rangeSize() == digests.rangeSize()) {
            // A kept range that matches the source is not sent: its digest is the receiver's own.
            for (int r = kept.nextSetBit(0); r >= 0; r = kept.nextSetBit(r + 1)) {
                if ((long) (r + 1) * resume.rangeSize() <= resume.keptLength()) {
                    digests.known(r, resume.digests().get(r));
                }
            }
        }
        return timedPass(pipe, tracker, 1, Phase.LIVE, src, b -> {
            while (pos[0] < end) {
                int n = (int) Math.min(b.free(), end - pos[0]);
                if (!kept.isEmpty() && pos[0] < resume.keptLength()) {
                    // Within the kept part, decide range by range: one changed range costs itself only.
                    n = (int) Math.min(n, resume.rangeSize() - pos[0] % resume.rangeSize());
                }
                // The tracker's rule: move the track end first, then read up to it as the file is now.
                tracker.setTrackEnd(pos[0] + n);
                if (covered(kept, pos[0], n)) {
                    pos[0] += n; // the receiver kept exactly these bytes: nothing to send
                    continue;
                }
                b.read(src, pos[0], n, true);
                pos[0] += n;
                return pos[0] < end;
            }
            return false;
        });
    }

    /** Ranges of the receiver's kept file that equal the source now (tracking is on); empty without resume. */
    private BitSet keptRanges() throws LiveCopyException {
        if (resume.keptLength() == 0 || resume.digests().isEmpty() || resumeSource == null) {
            return new BitSet();
        }
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(resumeSource)) {
            return resume.matchingRanges(ch);
        } catch (IOException e) {
            throw new LiveCopyException(name + ": cannot compare the source with the receiver's kept copy ("
                    + e.getMessage() + "); run the copy again without resume", e);
        }
    }

    /** True when every byte of [pos, pos+n) lies in a kept range whose digest matched. */
    private boolean covered(BitSet kept, long pos, int n) {
        if (kept.isEmpty() || pos + n > resume.keptLength()) {
            return false;
        }
        int rs = resume.rangeSize();
        for (long r = pos / rs; r <= (pos + n - 1) / rs; r++) {
            if (!kept.get((int) r)) {
                return false;
            }
        }
        return true;
    }

    /**
     * One pass over the dirty extents: from where the tracker's cursor is until it would wrap to a lower
     * offset (that batch is kept in {@link #pending} for the next pass) or nothing is dirty.
     */
    private Pass dirtyPass(PassPipeline pipe, DirtySource tracker, FileSource src, int number, Phase phase)
            throws LiveCopyException {
        boolean[] first = {true};
        // Growth after this point waits for the next pass, so writers that allocate faster than we
        // send cannot keep one pass going forever.
        long tailLimit = tracker.fileSize();
        return timedPass(pipe, tracker, number, phase, src, b -> {
            // The file grew past what was sent (new clusters): send that tail linearly, moving the
            // track end before each read as in pass 1. Left to the tracker, a tail longer than a block
            // comes one block per pass: after reporting a piece of it, its cursor goes back to 0.
            long trackEnd = tracker.trackEnd();
            long fileEnd = Math.min(tracker.fileSize(), tailLimit);
            if (trackEnd < fileEnd) {
                int n = (int) Math.min(b.free(), fileEnd - trackEnd);
                tracker.setTrackEnd(trackEnd + n);
                b.read(src, trackEnd, n, true);
                return true;
            }
            List<Extent> batch;
            if (pending != null) {
                batch = pending;
                pending = null;
            } else {
                int wraps = tracker.wraps();
                batch = tracker.drain(b.free());
                if (batch.isEmpty()) {
                    return false;
                }
                if (tracker.wraps() != wraps && !first[0]) {
                    pending = batch;
                    return false;
                }
            }
            first[0] = false;
            for (Extent e : batch) {
                b.read(src, e.offset(), Math.toIntExact(e.length()), false);
            }
            return true;
        });
    }

    private Pass timedPass(PassPipeline pipe, DirtySource tracker, int number, Phase phase, FileSource src,
            PassPipeline.Producer producer) throws LiveCopyException {
        long t0 = clock.nanoTime();
        curPass = number;
        curPhase = phase;
        curTracker = tracker;
        passStart = t0;
        passSent = 0;
        long bytes;
        PassPipeline.Producer fill = producer;
        if (digests != null) {
            // Hash what was read, at read time: a write after it is tracked and read again by a later
            // pass, which invalidates the range (RangeDigests' invariant holds with "read" for "sent").
            fill = b -> {
                boolean more = producer.fill(b);
                for (int i = 0; i < b.count; i++) {
                    digests.sent(b.pos[i], b.buf.slice(b.off[i], b.len[i]));
                }
                return more;
            };
        }
        try {
            bytes = pipe.run(fill, this::send);
        } catch (PassPipeline.ReadFailure e) {
            Throwable c = e.getCause();
            throw new LiveCopyException(name + ": pass " + number + " could not read the source (" + c.getMessage()
                    + "); the copy is incomplete" + thawNote(phase) + "; fix the cause and run the copy again", c);
        } catch (java.io.InterruptedIOException e) {
            if (e instanceof java.net.SocketTimeoutException) {
                throw couldNotSend(number, phase, e); // a stalled receiver, not an interrupt
            }
            throw new LiveCopyException(name + ": pass " + number + " was interrupted; the copy is incomplete"
                    + thawNote(phase), e);
        } catch (IOException | RuntimeException e) {
            throw couldNotSend(number, phase, e);
        }
        long nanos = clock.nanoTime() - t0;
        long dirty = tracker.dirtyBytes() + pendingBytes();
        double secs = nanos / 1e9;
        return new Pass(number, phase, bytes, nanos, nanos > 0 ? bytes / secs : 0, dirty, nanos > 0 ? dirty / secs : 0);
    }

    /** Every byte goes to the sink through here (progress counts it). */
    private void send(long pos, ByteBuffer data) throws IOException {
        int n = data.remaining();
        sink.write(pos, data);
        passSent += n;
        totalSent += n;
        if (curTracker != null) {
            long now = clock.nanoTime();
            if (now - lastProgress >= PROGRESS_INTERVAL_NANOS) {
                lastProgress = now;
                listener.progress(new Progress(curPass, curPhase, passSent, now - passStart, totalSent,
                        curTracker.dirtyBytes(), curTracker.fileSize()));
            }
        }
    }

    /** Re-hashes the final digest's invalid ranges; {@code header}, if set, is laid over offset 0. */
    private long refreshDigests(FileSource src, long length, byte[] header) throws LiveCopyException {
        try {
            return digests.refresh(src::read, length, 0, header);
        } catch (IOException | RuntimeException e) {
            throw new LiveCopyException(name + ": reading the source for the final digest failed (" + e.getMessage()
                    + "); the copy is incomplete; fix the cause and run the copy again", e);
        }
    }

    private LiveCopyException couldNotSend(int number, Phase phase, Exception e) {
        return new LiveCopyException(name + ": pass " + number + " could not send to the destination ("
                + e.getMessage() + "); the copy is incomplete" + thawNote(phase)
                + "; check the destination and run the copy again", e);
    }

    private static String thawNote(Phase phase) {
        return phase == Phase.FROZEN ? " and the source was thawed" : "";
    }

    private long pendingBytes() {
        long n = 0;
        if (pending != null) {
            for (Extent e : pending) {
                n += e.length();
            }
        }
        return n;
    }

    /**
     * Re-reads the first sector (header and the start of the BAT, all final now) and sends it with inUse
     * cleared: the source is open, so its own header says "in use", but the copy is complete and clean.
     * A header with a format extension gets the "closed with extension" mark, as ploop closes it.
     */
    private byte[] sendCleanHeader(FileSource src) throws LiveCopyException {
        ByteBuffer sector = ByteBuffer.allocateDirect(PloopFormat.SECTOR_SIZE);
        try {
            while (sector.hasRemaining()) {
                if (src.read(sector, sector.position()) < 0) {
                    throw new LiveCopyException(name + ": the image file is shorter than one sector; it is not a ploop image");
                }
            }
            sector.flip();
            PloopHeader h = PloopHeader.decode(sector.duplicate(), name);
            int clean = h.extOffset() != 0 ? PloopFormat.INUSE_CLOSED_WITH_EXT : PloopFormat.INUSE_CLOSED;
            sector.put(0, h.withInUse(clean).encode(), 0, PloopFormat.HEADER_SIZE);
            byte[] sent = new byte[PloopFormat.SECTOR_SIZE];
            sector.get(0, sent);
            if (digests != null) {
                digests.sent(0, sector);
            }
            send(0, sector);
            return sent;
        } catch (IOException | ImageException | RuntimeException e) {
            if (e instanceof LiveCopyException l) {
                throw l;
            }
            throw new LiveCopyException(name + ": sending the clean header failed (" + e.getMessage()
                    + "); the copy is incomplete and the source was thawed; run the copy again", e);
        }
    }
}
