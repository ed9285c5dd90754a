package dev.jvz.copy;

import com.github.luben.zstd.Zstd;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.zip.CRC32C;

/**
 * Receiving end of a live image copy: reads a legacy ploop-copy stream or a jvz stream (told
 * apart by the first frame's marker) from {@code in}, writes the image file with positional writes,
 * fdatasyncs on sync and end, and answers on {@code feedback}.
 *
 * <p>On any failure (truncated or malformed stream, oversized frame, write error, checksum or
 * digest mismatch) it answers a failure on the feedback channel when it can (legacy
 * {@code FAILURE\n}, which a legacy sender reads as its next sync answer; jvz ERROR), removes the
 * partial file unless {@link Options#keep()} was asked (a file it created and never wrote is removed
 * anyway), and throws. It never closes {@code in} or
 * {@code feedback}: the caller owns the transport.
 *
 * <p>One receive runs on the calling thread, which reads and checks the frames, plus the target
 * file's writer thread ({@link AsyncTargetFile}) and its background writeback; instances hold no
 * state, so calls may run concurrently on different targets.
 */
public final class Receiver {
    /**
     * @param keep keep a partial file after a failure (for a later resume) instead of removing it
     * @param resume accept an existing target file and offer its content for resume (jvz); without
     *     it an existing target is an error
     * @param acceptJvz false = behave like ploop's receiver and refuse jvz streams
     * @param localDigest when the sender sent no final digest (legacy stream, or jvz without one), read
     *     the whole received file back after the copy is done (after DONE: the sender does not wait)
     *     and put its SHA-256 in the {@link Result} as {@link Digest#LOCAL}. Off by default: it reads
     *     the whole image once more (1.3-1.9 s per 2 GiB on the test machine) only to print a number
     *     nobody compared; a sender that wants the copy verified asks for the final digest.
     */
    public record Options(boolean keep, boolean resume, boolean acceptJvz, boolean localDigest) {
        public static Options defaults() {
            return new Options(false, false, true, false);
        }

        public Options withKeep(boolean k) {
            return new Options(k, resume, acceptJvz, localDigest);
        }

        public Options withResume(boolean r) {
            return new Options(keep, r, acceptJvz, localDigest);
        }

        public Options withAcceptJvz(boolean a) {
            return new Options(keep, resume, a, localDigest);
        }

        public Options withLocalDigest(boolean d) {
            return new Options(keep, resume, acceptJvz, d);
        }
    }

    /** What {@link Result#sha256()} is, if anything. */
    public enum Digest {
        /** No digest: the sender sent none and {@link Options#localDigest()} was off; sha256 is null. */
        NONE,
        /** The hash list of the sender's END (SHA-256 over the ranges' SHA-256), compared and equal. */
        HASH_LIST,
        /** The whole file's SHA-256 the sender's END carried, compared and equal. */
        WHOLE_FILE,
        /** The whole file's SHA-256, computed by this receiver alone on request; compared with nothing. */
        LOCAL
    }

    /**
     * What a successful receive did. {@code sha256} is what {@code digest} says: the final digest both
     * ends compared (jvz with a final digest), the file's SHA-256 computed here alone
     * ({@link Options#localDigest()}), or null.
     */
    public record Result(String protocol, long bytesWritten, int syncs, long finalLength, byte[] sha256,
                         Digest digest) {
        public Result {
            if ((sha256 == null) != (digest == Digest.NONE)) {
                throw new IllegalArgumentException("digest " + digest + " with sha256 " + (sha256 == null ? "null" : "set"));
            }
        }
    }

    private final TargetFile.Opener opener;

    public Receiver() {
        this(TargetFile.Opener.DEFAULT);
    }

    Receiver(TargetFile.Opener opener) {
        this.opener = opener;
    }

    /**
     * Receives one copy into {@code target}; see the class comment for failure behaviour. A
     * {@link java.io.FileInputStream} (pipe, stdin, fd) or the stream of a socket from
     * {@link Transports#accept} is read through its channel into direct buffers that go to the file
     * without a copy; any other stream through {@link InputStream#read(byte[], int, int)}.
     */
    public Result receive(InputStream in, OutputStream feedback, Path target, Options options) throws IOException {
        try (ReceiveInput input = ReceiveInput.of(in)) {
            return receive(input, feedback, target, options);
        }
    }

    private Result receive(ReceiveInput input, OutputStream feedback, Path target, Options options)
            throws IOException {
        // The first frame's marker tells the protocol, so even a refusal below is answered in the
        // sender's language (a jvz sender that got no answer would take us for a legacy receiver and
        // fall back, then fail with a bare "Broken pipe").
        boolean whole = input.ensure(4);
        boolean jvz = whole && options.acceptJvz() && input.peek().getInt(0) == JvzFormat.MARKER;
        if (!whole) {
            CopyProtocolException e = new CopyProtocolException("stream ended after " + input.available()
                    + " bytes, before the first frame header: the sender stopped or never started");
            answerFailure(e, feedback, !jvz);
            throw e;
        }
        boolean existed = Files.exists(target);
        if (existed && !options.resume()) {
            var e = new java.nio.file.FileAlreadyExistsException(target.toString(), null,
                    "the copy target exists; remove it, or receive with resume to continue a kept copy");
            answerFailure(e, feedback, !jvz); // the file is not this receive's: left alone
            throw e;
        }
        var openOpts = existed
                ? EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE)
                : EnumSet.of(StandardOpenOption.READ, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        // Writes overlap reading the next frames (AsyncTargetFile): the receiver was the copy's bottleneck.
        TargetFile file = new AsyncTargetFile(opener.open(target, openOpts));
        try {
            Result r;
            if (jvz) {
                r = new JvzSession(input, feedback, file, options, existed).run();
            } else {
                if (existed) {
                    file.truncate(0); // resume is a jvz feature; a legacy sender resends everything anyway
                }
                r = receiveLegacy(input, feedback, file);
            }
            if (r.digest() == Digest.NONE && options.localDigest()) {
                // The sender has its answer already (DONE / the last sync): this read delays nobody but us.
                r = new Result(r.protocol(), r.bytesWritten(), r.syncs(), r.finalLength(),
                        Digests.sha256(file, 0, r.finalLength()), Digest.LOCAL);
            }
            file.close();
            return r;
        } catch (IOException | RuntimeException e) {
            fail(e, feedback, !jvz, file, target, options, existed);
            throw e;
        }
    }

    private static void fail(Exception e, OutputStream feedback, boolean legacy, TargetFile file,
                             Path target, Options options, boolean existed) {
        // Clean up before answering: a sender that hears the failure may reconnect at once (the legacy
        // fallback after a refused jvz hello does) and must find the target gone.
        // A file this receive created and never wrote holds nothing to resume from, and kept it would
        // make the next attempt fail with "the copy target exists": remove it even with keep.
        boolean empty = false;
        try {
            empty = !existed && file.size() == 0;
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        try {
            file.close();
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        if (!options.keep() || empty) {
            try {
                Files.deleteIfExists(target);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
        }
        answerFailure(e, feedback, legacy);
    }

    /** Tells the sender about {@code e}: legacy FAILURE\n or a jvz ERROR with the message; best effort. */
    private static void answerFailure(Exception e, OutputStream feedback, boolean legacy) {
        if (feedback != null) {
            try {
                if (legacy) {
                    feedback.write(LegacyFormat.FAILURE);
                } else {
                    JvzSession.writeError(feedback, String.valueOf(e.getMessage()));
                }
                feedback.flush();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed); // the sender may be gone already
            }
        }
    }

    // ---- legacy ------------------------------------------------------------------------------

    private static Result receiveLegacy(ReceiveInput input, OutputStream feedback, TargetFile file)
            throws IOException {
        long[] written = {0};
        int[] syncs = {0};
        LegacyDecoder decoder = new LegacyDecoder(new LegacyDecoder.Handler() {
            @Override
            public void data(long pos, ByteBuffer chunk) throws IOException {
                int n = chunk.remaining();
                file.writeOwned(chunk, pos, input.retain()); // a slice of the input buffer: no copy
                written[0] += n;
            }

            @Override
            public void sync() throws IOException {
                file.force(); // on failure the caller answers FAILURE\n (a sync is pending)
                syncs[0]++;
                if (feedback != null) {
                    feedback.write(LegacyFormat.SUCCESS);
                    feedback.flush();
                }
            }

            @Override
            public void end() throws IOException {
                file.force();
            }
        });
        while (decoder.state() != LegacyDecoder.State.DONE) {
            if (input.fill() == 0) {
                decoder.endOfInput();
            } else {
                ByteBuffer view = input.peek();
                decoder.feed(view);
                input.skip(view.position());
            }
        }
        return new Result("legacy", written[0], syncs[0], file.size(), null, Digest.NONE);
    }

    // ---- jvz ---------------------------------------------------------------------------------

    /** One jvz receive: handshake, frames, end. Confined to the receiving thread. */
    private static final class JvzSession {
        private final ReceiveInput in;
        private final OutputStream feedback;
        private final TargetFile file;
        private final Options options;
        private final boolean existed;
        /** zstd frames only (rare: compression is off by default): payload and its decompression. */
        private byte[] wire;
        private byte[] raw;
        private final CRC32C crc = new CRC32C();
        private int features;
        /** The HELLO's range size: resume digests and a hash-list final digest use it. */
        private int rangeSize;
        /**
         * The hash list of the file as received, kept up to date as DATA arrives (null unless the HELLO
         * announced a hash-list digest, {@link JvzFormat#FEATURE_HASH_LIST}, with a valid range size), so that END re-reads only the ranges that were not received in
         * order from their start, or were written again later: pass 1 is linear, so an idle copy
         * re-reads at most its short last range instead of the whole file (which cost 1.7 s per 2 GiB
         * after the last answer, BENCHMARKS.md "Live copy"). Same invariant as the sender's
         * {@link RangeDigests}: a valid range holds exactly the bytes it was hashed from.
         */
        private RangeDigests digests;
        private long written;
        private int syncs;

        JvzSession(ReceiveInput in, OutputStream feedback, TargetFile file, Options options, boolean existed) {
            this.in = in;
            this.feedback = feedback;
            this.file = file;
            this.options = options;
            this.existed = existed;
        }

        Result run() throws IOException {
            if (feedback == null) {
                throw new CopyProtocolException("a jvz stream needs a feedback channel; none was given");
            }
            hello();
            while (true) {
                JvzFrameHeader h;
                try {
                    h = readHeader();
                } catch (EOFException e) {
                    throw new CopyProtocolException("stream ended before the END frame: the sender stopped"
                            + " or the connection broke", e);
                }
                switch (h.type()) {
                    case JvzFormat.DATA -> data(h);
                    case JvzFormat.SYNC -> {
                        expectEmpty(h);
                        file.force();
                        syncs++;
                        JvzFrameHeader.of(JvzFormat.SYNC_ACK, h.pos()).write(feedback);
                        feedback.flush();
                    }
                    case JvzFormat.END -> {
                        return end(h);
                    }
                    default -> throw new CopyProtocolException("unexpected jvz frame type 0x"
                            + Integer.toHexString(h.type()) + " in the data phase");
                }
            }
        }

        private void hello() throws IOException {
            JvzFrameHeader h = readHeader(); // the protocol probe left the marker unread
            if (h.type() != JvzFormat.HELLO || h.wireLength() != JvzFormat.HELLO_SIZE) {
                throw new CopyProtocolException("expected a jvz HELLO of " + JvzFormat.HELLO_SIZE
                        + " bytes first, got type 0x" + Integer.toHexString(h.type()) + " of " + h.wireLength());
            }
            ByteBuffer p = ByteBuffer.wrap(readPayload(h.wireLength())).order(ByteOrder.LITTLE_ENDIAN);
            int version = p.getInt();
            int requested = p.getInt();
            rangeSize = p.getInt();
            if (version != JvzFormat.VERSION) {
                throw new CopyProtocolException("jvz protocol version " + version + " is not supported (this"
                        + " receiver speaks " + JvzFormat.VERSION + "); use the same jvz version on both hosts");
            }
            features = requested & JvzFormat.SUPPORTED_FEATURES;
            long keptLength = existed ? file.size() : 0;
            boolean resume = (features & JvzFormat.FEATURE_RESUME) != 0 && existed
                    && rangeSize >= JvzFormat.MIN_RANGE && rangeSize <= JvzFormat.MAX_RANGE
                    && ceilDiv(keptLength, rangeSize) <= JvzFormat.MAX_RANGES;
            if (!resume) {
                features &= ~JvzFormat.FEATURE_RESUME;
            }
            int count = resume ? (int) ceilDiv(keptLength, rangeSize) : 0;
            if ((features & JvzFormat.FEATURE_HASH_LIST) != 0 && rangeSize >= JvzFormat.MIN_RANGE
                    && rangeSize <= JvzFormat.MAX_RANGE) {
                digests = new RangeDigests(rangeSize);
            }
            ByteBuffer fixed = ByteBuffer.allocate(JvzFormat.HELLO_ACK_FIXED).order(ByteOrder.LITTLE_ENDIAN);
            fixed.putInt(JvzFormat.VERSION).putInt(features).putLong(resume ? keptLength : 0)
                    .putInt(resume ? rangeSize : 0).putInt(count);
            long ackLen = JvzFormat.HELLO_ACK_FIXED + (long) count * JvzFormat.DIGEST_LEN;
            new JvzFrameHeader(JvzFormat.HELLO_ACK, 0, (int) ackLen, (int) ackLen, 0, 0).write(feedback);
            feedback.write(fixed.array());
            for (int i = 0; i < count; i++) {
                long start = (long) i * rangeSize;
                long len = Math.min(rangeSize, keptLength - start);
                byte[] kept = Digests.sha256(file, start, len);
                feedback.write(kept);
                if (digests != null && len == rangeSize) {
                    digests.known(i, kept); // holds until a DATA frame touches the range
                }
            }
            feedback.flush();
        }

        private void data(JvzFrameHeader h) throws IOException {
            int rawLen = h.rawLength();
            int wireLen = h.wireLength();
            if (rawLen > JvzFormat.MAX_BLOCK || wireLen > JvzFormat.MAX_BLOCK) {
                throw new CopyProtocolException("DATA frame at offset " + h.pos() + " announces " + wireLen
                        + " wire / " + rawLen + " raw bytes; the allowed maximum is " + JvzFormat.MAX_BLOCK);
            }
            if (h.pos() > Long.MAX_VALUE - rawLen) {
                throw new CopyProtocolException("DATA frame position " + h.pos() + " + " + rawLen
                        + " is beyond the largest file offset");
            }
            boolean packed = h.has(JvzFormat.FLAG_ZSTD) || h.has(JvzFormat.FLAG_LZ4);
            if (rawLen == 0 || (!packed && wireLen != rawLen)
                    || (h.has(JvzFormat.FLAG_ZSTD) && h.has(JvzFormat.FLAG_LZ4))) {
                throw new CopyProtocolException("DATA frame at offset " + h.pos() + " has inconsistent lengths "
                        + wireLen + "/" + rawLen);
            }
            if (!in.ensure(wireLen)) {
                throw truncatedPayload(wireLen);
            }
            if (packed) {
                if (wire == null) {
                    wire = new byte[JvzFormat.MAX_BLOCK];
                    raw = new byte[JvzFormat.MAX_BLOCK];
                }
                in.take(wireLen).get(wire, 0, wireLen);
                if (h.has(JvzFormat.FLAG_ZSTD)) {
                    long n = Zstd.decompressByteArray(raw, 0, rawLen, wire, 0, wireLen);
                    if (Zstd.isError(n) || n != rawLen) {
                        throw new CopyProtocolException("DATA frame at offset " + h.pos() + ": zstd payload does not"
                                + " decompress to " + rawLen + " bytes ("
                                + (Zstd.isError(n) ? Zstd.getErrorName(n) : n + " bytes") + ")");
                    }
                } else {
                    Lz4.decompress(wire, wireLen, raw, rawLen, h.pos());
                }
                ByteBuffer data = ByteBuffer.wrap(raw, 0, rawLen);
                checkCrc(h, data);
                received(h.pos(), data);
                file.writeFully(data, h.pos()); // copied into the file's own buffers: raw is reused
            } else {
                ByteBuffer data = in.take(wireLen);
                checkCrc(h, data);
                received(h.pos(), data);
                file.writeOwned(data, h.pos(), in.retain()); // a slice of the input buffer: no copy
            }
            written += rawLen;
        }

        /** Keeps {@link #digests} up to date with a block about to be written; {@code data} is not consumed. */
        private void received(long pos, ByteBuffer data) {
            if (digests != null) {
                digests.sent(pos, data);
            }
        }

        /** CRC32C over the block in place (intrinsic for direct and heap buffers alike). */
        private void checkCrc(JvzFrameHeader h, ByteBuffer data) throws ChecksumMismatchException {
            if (h.has(JvzFormat.FLAG_CRC)) {
                crc.reset();
                crc.update(data.duplicate());
                int actual = (int) crc.getValue();
                if (actual != h.crc32c()) {
                    throw new ChecksumMismatchException(String.format("CRC32C mismatch in the block at image"
                            + " offset %d (%d bytes): sent 0x%08x, received 0x%08x; the data was damaged in"
                            + " transit, retry the copy", h.pos(), data.remaining(), h.crc32c(), actual), h.pos());
                }
            }
        }

        private Result end(JvzFrameHeader h) throws IOException {
            byte[] mine = null;
            long length = file.size();
            if (h.has(JvzFormat.FLAG_DIGEST)) {
                if (h.wireLength() != JvzFormat.DIGEST_LEN) {
                    throw new CopyProtocolException("END frame digest has " + h.wireLength() + " bytes, expected "
                            + JvzFormat.DIGEST_LEN);
                }
                byte[] theirs = readPayload(JvzFormat.DIGEST_LEN);
                length = h.pos();
                if (file.size() != length) {
                    file.truncate(length); // a resumed file may be longer than the image now is
                }
                file.force();
                if (h.has(JvzFormat.FLAG_DIGEST_LIST)) {
                    if (rangeSize < JvzFormat.MIN_RANGE || rangeSize > JvzFormat.MAX_RANGE) {
                        throw new CopyProtocolException("END asks for a hash-list digest over ranges of " + rangeSize
                                + " bytes (the HELLO's range size); expected " + JvzFormat.MIN_RANGE + "~"
                                + JvzFormat.MAX_RANGE);
                    }
                    if (digests == null) { // not announced in the HELLO: every range is read back
                        digests = new RangeDigests(rangeSize);
                    }
                    // force() above drained the queued writes, so the file reads back what was received.
                    digests.refresh((dst, pos) -> file.read(dst, pos), length, 0, null);
                    mine = digests.finalImage(length).sha256();
                } else {
                    mine = Digests.sha256(file, 0, length);
                }
                if (!Arrays.equals(mine, theirs)) {
                    throw new ChecksumMismatchException("final image digest mismatch: the sender's SHA-256 is "
                            + HexFormat.of().formatHex(theirs) + ", the received file's ("
                            + length + " bytes) is " + HexFormat.of().formatHex(mine)
                            + "; the copy is not valid, run it again", -1);
                }
            } else {
                if (existed) {
                    throw new CopyProtocolException("the END frame carries no final length and digest, but this"
                            + " copy went into an existing (kept) file that may hold stale bytes; the copy is not"
                            + " valid: send a final image digest when resuming");
                }
                expectEmpty(h);
                file.force();
                // No digest asked for: answer DONE at once, without one. The sender waits for DONE (inside
                // its frozen window, and a benchmark's wall clock), and reading the whole image cost seconds
                // per GiB (BENCHMARKS.md, live copy); a local digest, if asked, comes after DONE (receive()).
                new JvzFrameHeader(JvzFormat.DONE, 0, 0, 0, length, 0).write(feedback);
                feedback.flush();
                return new Result("jvz", written, syncs, length, null, Digest.NONE);
            }
            new JvzFrameHeader(JvzFormat.DONE, 0, JvzFormat.DIGEST_LEN, JvzFormat.DIGEST_LEN, length, 0)
                    .write(feedback);
            feedback.write(mine);
            feedback.flush();
            return new Result("jvz", written, syncs, length, mine,
                    h.has(JvzFormat.FLAG_DIGEST_LIST) ? Digest.HASH_LIST : Digest.WHOLE_FILE);
        }

        private void expectEmpty(JvzFrameHeader h) throws CopyProtocolException {
            if (h.wireLength() != 0) {
                throw new CopyProtocolException("jvz frame type 0x" + Integer.toHexString(h.type())
                        + " must have no payload, has " + h.wireLength() + " bytes");
            }
        }

        /** The next frame header; EOFException when the stream ends cleanly before it. */
        private JvzFrameHeader readHeader() throws IOException {
            in.freshIfLessThan(JvzFormat.HEADER_SIZE + JvzFormat.MAX_BLOCK); // the frame then fits: no move
            if (!in.ensure(JvzFormat.HEADER_SIZE)) {
                int have = in.available();
                if (have == 0) {
                    throw new EOFException("stream ended before a frame header");
                }
                throw new CopyProtocolException("stream ended inside a frame header (" + have + " of "
                        + JvzFormat.HEADER_SIZE + " bytes): the peer stopped or the connection broke");
            }
            JvzFrameHeader h = JvzFrameHeader.decode(in.peek());
            in.skip(JvzFormat.HEADER_SIZE);
            return h;
        }

        private byte[] readPayload(int n) throws IOException {
            // callers pass only small fixed sizes
            if (!in.ensure(n)) {
                throw truncatedPayload(n);
            }
            byte[] b = new byte[n];
            in.take(n).get(b);
            return b;
        }

        private CopyProtocolException truncatedPayload(int n) {
            return new CopyProtocolException("stream ended inside a frame payload (" + in.available() + " of " + n
                    + " bytes): the sender stopped or the connection broke");
        }

        static void writeError(OutputStream out, String message) throws IOException {
            byte[] m = message.getBytes(StandardCharsets.UTF_8);
            int n = Math.min(m.length, JvzFormat.MAX_ERROR_MESSAGE);
            new JvzFrameHeader(JvzFormat.ERROR, 0, n, n, 0, 0).write(out);
            out.write(m, 0, n);
        }

        private static long ceilDiv(long a, long b) {
            return (a + b - 1) / b;
        }
    }

}
