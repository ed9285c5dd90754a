package dev.jvz.copy;

import com.github.luben.zstd.Zstd;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Sender side of the jvz copy protocol ({@code copy/PROTOCOL.md}): HELLO with feature flags,
 * DATA blocks of at most 1 MiB with CRC32C and optional zstd, SYNC/SYNC_ACK, END with the final
 * length and SHA-256 that the receiver must match. Created by {@link #open}, which performs the
 * handshake and throws {@link HelloRejectedException} if the peer is a legacy receiver.
 *
 * <p>Not thread-safe: one sender thread, as {@link CopySink} says.
 */
public final class JvzStreamSink implements CopySink {
    private static final int OUT_BUFFER = 256 * 1024;
    /** Smaller direct blocks go through the stream buffer: many final-pass extents per socket write. */
    private static final int DIRECT_MIN = 64 * 1024;

    private final OutputStream rawOut;
    private final OutputStream out;
    private final InputStream feedback;
    private final JvzOptions options;
    private final int features;
    private final ResumeInfo resume;
    private final CRC32C crc = new CRC32C();
    private final byte[] block = new byte[JvzFormat.MAX_BLOCK];
    private final byte[] packed;
    /** Set when LZ4 was agreed on; one compressor, used by the sender thread only. */
    private final net.jpountz.lz4.LZ4Compressor lz4;
    /** The socket channel under the stream when there is one and no throttle: direct blocks skip the copies. */
    private final ChannelOutput channelOut;
    private long syncSeq;
    private byte[] receiverDigest;
    private boolean finished;
    private boolean closed;

    private JvzStreamSink(OutputStream rawOut, OutputStream out, InputStream feedback, JvzOptions options,
                          int features, ResumeInfo resume) {
        this.rawOut = rawOut;
        this.out = out;
        this.feedback = feedback;
        this.options = options;
        this.features = features;
        this.resume = resume;
        this.lz4 = (features & JvzFormat.FEATURE_LZ4) != 0 ? Lz4.FACTORY.fastCompressor() : null;
        this.packed = (features & JvzFormat.FEATURE_ZSTD) != 0
                ? new byte[(int) Zstd.compressBound(JvzFormat.MAX_BLOCK)]
                : lz4 != null ? new byte[lz4.maxCompressedLength(JvzFormat.MAX_BLOCK)] : null;
        this.channelOut = options.bwlimitBytesPerSecond() == 0 ? ChannelOutput.of(rawOut) : null;
    }

    /**
     * Sends HELLO and reads the receiver's HELLO_ACK. On {@link HelloRejectedException} the streams
     * are left open and unusable for jvz: close them and fall back to legacy on a fresh stream.
     */
    public static JvzStreamSink open(OutputStream out, InputStream feedback, JvzOptions options) throws IOException {
        return open(out, feedback, options, RateLimiter.Pacing.SYSTEM);
    }

    /** As above, with {@code --bwlimit} paced by {@code pacing} (tests prove the pacing with a fake clock). */
    static JvzStreamSink open(OutputStream out, InputStream feedback, JvzOptions options, RateLimiter.Pacing pacing)
            throws IOException {
        if (feedback == null) {
            throw new IllegalArgumentException("a jvz stream needs a feedback channel");
        }
        OutputStream buffered = new BufferedOutputStream(
                ThrottledOutputStream.wrap(out, options.bwlimitBytesPerSecond(), pacing), OUT_BUFFER);
        ByteBuffer hello = ByteBuffer.allocate(JvzFormat.HELLO_SIZE).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(JvzFormat.VERSION).putInt(options.requestedFeatures()).putInt(options.resumeRangeSize()).putInt(0);
        try {
            new JvzFrameHeader(JvzFormat.HELLO, 0, JvzFormat.HELLO_SIZE, JvzFormat.HELLO_SIZE, 0, 0).write(buffered);
            buffered.write(hello.array());
            buffered.flush();
        } catch (IOException e) {
            throw new HelloRejectedException("the receiver closed the stream on the jvz hello (legacy receiver?)", e);
        }
        // A legacy receiver answers FAILURE\n or just closes; check the first 8 bytes before parsing.
        byte[] first;
        try {
            first = StreamIo.readUpTo(feedback, LegacyFormat.STATUS_LEN);
        } catch (java.net.SocketTimeoutException e) {
            throw e; // a receiver that hangs is a failure, not a legacy receiver
        } catch (IOException e) { // e.g. a reset: the receiver dropped the connection on our hello
            throw new HelloRejectedException("the receiver broke the connection on the jvz hello (legacy receiver?)", e);
        }
        if (first.length < LegacyFormat.STATUS_LEN) {
            throw new HelloRejectedException("the receiver closed the feedback channel instead of acknowledging"
                    + " the jvz hello: it is a legacy ploop receiver (or it failed)");
        }
        if (Arrays.equals(first, LegacyFormat.FAILURE) || Arrays.equals(first, LegacyFormat.SUCCESS)) {
            throw new HelloRejectedException("the receiver answered the jvz hello with '"
                    + new String(first, StandardCharsets.US_ASCII).strip() + "': it is a legacy ploop receiver");
        }
        JvzFrameHeader h;
        try {
            h = JvzFrameHeader.read(feedback, first);
        } catch (CopyProtocolException e) {
            throw new HelloRejectedException("the receiver's answer to the jvz hello is not a jvz frame", e);
        }
        if (h.type() == JvzFormat.ERROR) {
            throw new RemoteFailureException("the receiver refused the copy: " + readError(feedback, h));
        }
        long maxAck = JvzFormat.HELLO_ACK_FIXED + (long) JvzFormat.MAX_RANGES * JvzFormat.DIGEST_LEN;
        if (h.type() != JvzFormat.HELLO_ACK || h.wireLength() < JvzFormat.HELLO_ACK_FIXED || h.wireLength() > maxAck) {
            throw new CopyProtocolException("expected HELLO_ACK of " + JvzFormat.HELLO_ACK_FIXED + ".." + maxAck
                    + " bytes, got type 0x" + Integer.toHexString(h.type()) + " of " + h.wireLength() + " bytes");
        }
        ByteBuffer fixed = ByteBuffer.wrap(readExactly(feedback, JvzFormat.HELLO_ACK_FIXED)).order(ByteOrder.LITTLE_ENDIAN);
        int version = fixed.getInt();
        int accepted = fixed.getInt();
        long kept = fixed.getLong();
        int rangeSize = fixed.getInt();
        int count = fixed.getInt();
        if (version != JvzFormat.VERSION || (accepted & ~options.requestedFeatures()) != 0) {
            throw new CopyProtocolException("HELLO_ACK has version " + version + " and features 0x"
                    + Integer.toHexString(accepted) + "; asked for version " + JvzFormat.VERSION + ", features 0x"
                    + Integer.toHexString(options.requestedFeatures()));
        }
        if (count < 0 || count > JvzFormat.MAX_RANGES
                || h.wireLength() != JvzFormat.HELLO_ACK_FIXED + (long) count * JvzFormat.DIGEST_LEN
                || (count > 0 && (rangeSize != options.resumeRangeSize() || kept <= (long) (count - 1) * rangeSize
                    || kept > (long) count * rangeSize))) {
            throw new CopyProtocolException("HELLO_ACK resume part is inconsistent: kept " + kept + " bytes, "
                    + count + " ranges of " + rangeSize + " in a " + h.wireLength() + "-byte payload");
        }
        List<byte[]> digests = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            digests.add(readExactly(feedback, JvzFormat.DIGEST_LEN));
        }
        ResumeInfo resume = count == 0 ? ResumeInfo.NONE : new ResumeInfo(kept, rangeSize, digests);
        return new JvzStreamSink(out, buffered, feedback, options, accepted, resume);
    }

    /** Features both ends agreed on ({@code JvzFormat.FEATURE_*} bits). */
    public boolean checksums() {
        return (features & JvzFormat.FEATURE_CRC32C) != 0;
    }

    public boolean compressing() {
        return (features & (JvzFormat.FEATURE_ZSTD | JvzFormat.FEATURE_LZ4)) != 0;
    }

    /** What the receiver kept from an earlier attempt; {@link ResumeInfo#NONE} when nothing. */
    @Override
    public ResumeInfo resume() {
        return resume;
    }

    /** SHA-256 of the destination file as the receiver reported it at finish; null before. */
    public byte[] receiverDigest() {
        return receiverDigest == null ? null : receiverDigest.clone();
    }

    @Override
    public void write(long pos, ByteBuffer data) throws IOException {
        ensureOpen();
        if (pos < 0) {
            throw new IllegalArgumentException("pos < 0: " + pos);
        }
        long p = pos;
        try {
            while (data.hasRemaining()) {
                int n = Math.min(data.remaining(), JvzFormat.MAX_BLOCK);
                if (data.hasArray()) { // no copy for heap buffers
                    sendBlock(data.array(), data.arrayOffset() + data.position(), n, p);
                    data.position(data.position() + n);
                } else if (channelOut != null && !compressing() && n >= DIRECT_MIN) {
                    sendDirect(data.slice(data.position(), n), p);
                    data.position(data.position() + n);
                } else {
                    data.get(block, 0, n);
                    sendBlock(block, 0, n, p);
                }
                p += n;
            }
        } catch (IOException e) {
            throw explainBrokenStream(e);
        }
    }

    /**
     * The data stream broke: the receiver stopped reading, normally because it failed, and it
     * sent an ERROR frame before closing. Read it so the error names the receiver's reason (e.g.
     * the CRC32C mismatch and its offset) instead of "Broken pipe". Blocks only until the receiver
     * closes its feedback end, which a dying receiver does.
     */
    private IOException explainBrokenStream(IOException e) {
        try {
            JvzFrameHeader h = JvzFrameHeader.read(feedback, new byte[0]);
            if (h.type() == JvzFormat.ERROR) {
                RemoteFailureException r = new RemoteFailureException("the receiver failed: " + readError(feedback, h));
                r.initCause(e);
                return r;
            }
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        return e;
    }

    /**
     * A direct block straight to the channel with its header (one gathering write, no copy); CRC32C
     * over the buffer in place. The bytes on the wire are those {@link #sendBlock} writes.
     */
    private void sendDirect(ByteBuffer block, long pos) throws IOException {
        int n = block.remaining();
        int flags = 0;
        int crcValue = 0;
        if (checksums()) {
            crc.reset();
            crc.update(block.duplicate());
            crcValue = (int) crc.getValue();
            flags |= JvzFormat.FLAG_CRC;
        }
        out.flush(); // what the buffer holds goes first
        channelOut.writeFully(ByteBuffer.wrap(new JvzFrameHeader(JvzFormat.DATA, flags, n, n, pos, crcValue).encode()),
                block);
    }

    private void sendBlock(byte[] buf, int off, int n, long pos) throws IOException {
        int flags = 0;
        int crcValue = 0;
        if (checksums()) {
            crc.reset();
            crc.update(buf, off, n);
            crcValue = (int) crc.getValue();
            flags |= JvzFormat.FLAG_CRC;
        }
        if (lz4 != null) {
            int c = lz4.compress(buf, off, n, packed, 0, packed.length);
            if (c < n) {
                new JvzFrameHeader(JvzFormat.DATA, flags | JvzFormat.FLAG_LZ4, c, n, pos, crcValue).write(out);
                out.write(packed, 0, c);
                return;
            }
        } else if (compressing()) {
            long c = Zstd.compressByteArray(packed, 0, packed.length, buf, off, n, options.zstdLevel());
            if (!Zstd.isError(c) && c < n) {
                new JvzFrameHeader(JvzFormat.DATA, flags | JvzFormat.FLAG_ZSTD, (int) c, n, pos, crcValue).write(out);
                out.write(packed, 0, (int) c);
                return;
            }
        }
        new JvzFrameHeader(JvzFormat.DATA, flags, n, n, pos, crcValue).write(out);
        out.write(buf, off, n);
    }

    @Override
    public void sync() throws IOException {
        ensureOpen();
        long seq = ++syncSeq;
        try {
            JvzFrameHeader.of(JvzFormat.SYNC, seq).write(out);
            out.flush();
        } catch (IOException e) {
            throw explainBrokenStream(e);
        }
        JvzFrameHeader h = readReply();
        if (h.type() != JvzFormat.SYNC_ACK || h.pos() != seq || h.wireLength() != 0) {
            throw new CopyProtocolException("expected SYNC_ACK " + seq + ", got type 0x"
                    + Integer.toHexString(h.type()) + " for " + h.pos());
        }
    }

    /** Ends the copy; compares against {@link JvzOptions#finalImage()} when one was given. */
    @Override
    public void finish() throws IOException {
        FinalImage.Source src = options.finalImage();
        finish(src == null ? null : src.compute());
    }

    /** The HELLO's range size: the receiver computes a hash-list digest over ranges of this size. */
    @Override
    public int digestRangeSize() {
        return options.resumeRangeSize();
    }

    /**
     * Ends the copy: the receiver truncates to {@code expected.length()}, fdatasyncs, digests its
     * file (whole, or as the hash list over {@link #digestRangeSize()} ranges) and must match
     * {@code expected.sha256()}; null = no comparison, and the receiver answers at once without
     * reading its file back ({@link #receiverDigest()} is then null).
     */
    @Override
    public void finish(FinalImage expected) throws IOException {
        ensureOpen();
        if (expected != null && expected.rangeSize() != 0 && expected.rangeSize() != digestRangeSize()) {
            throw new UnsupportedOperationException("a hash-list digest over " + expected.rangeSize()
                    + "-byte ranges; this stream's HELLO announced " + digestRangeSize());
        }
        try {
            if (expected == null) {
                JvzFrameHeader.of(JvzFormat.END, 0).write(out);
            } else {
                int flags = JvzFormat.FLAG_DIGEST | (expected.rangeSize() != 0 ? JvzFormat.FLAG_DIGEST_LIST : 0);
                new JvzFrameHeader(JvzFormat.END, flags, JvzFormat.DIGEST_LEN, JvzFormat.DIGEST_LEN,
                        expected.length(), 0).write(out);
                out.write(expected.sha256());
            }
            out.flush();
        } catch (IOException e) {
            throw explainBrokenStream(e);
        }
        JvzFrameHeader h = readReply();
        // DONE carries the receiver's digest when one was asked for (END with a digest), else nothing.
        int digestLen = expected == null ? 0 : JvzFormat.DIGEST_LEN;
        if (h.type() != JvzFormat.DONE || h.wireLength() != digestLen) {
            throw new CopyProtocolException("expected DONE with " + digestLen + " digest bytes, got type 0x"
                    + Integer.toHexString(h.type()) + " with " + h.wireLength());
        }
        receiverDigest = digestLen == 0 ? null : readExactly(feedback, JvzFormat.DIGEST_LEN);
        if (expected != null && (!MessageDigest.isEqual(receiverDigest, expected.sha256()) || h.pos() != expected.length())) {
            throw new ChecksumMismatchException("final image digest mismatch: expected " + expected.length()
                    + " bytes with SHA-256 " + HexFormat.of().formatHex(expected.sha256()) + ", the receiver has "
                    + h.pos() + " bytes with " + HexFormat.of().formatHex(receiverDigest) + "; run the copy again", -1);
        }
        finished = true;
        close();
    }

    public boolean finished() {
        return finished;
    }

    /** Reads one reply; an ERROR reply becomes a {@link RemoteFailureException} with its message. */
    private JvzFrameHeader readReply() throws IOException {
        JvzFrameHeader h;
        try {
            h = JvzFrameHeader.read(feedback, new byte[0]);
        } catch (java.io.EOFException e) {
            throw new CopyProtocolException("the receiver closed the feedback channel: it died or failed", e);
        }
        if (h.type() == JvzFormat.ERROR) {
            throw new RemoteFailureException("the receiver failed: " + readError(feedback, h));
        }
        return h;
    }

    private static String readError(InputStream in, JvzFrameHeader h) throws IOException {
        if (h.wireLength() > JvzFormat.MAX_ERROR_MESSAGE) {
            throw new CopyProtocolException("ERROR message of " + h.wireLength() + " bytes exceeds the allowed maximum ("
                    + JvzFormat.MAX_ERROR_MESSAGE + ")");
        }
        return new String(readExactly(in, h.wireLength()), StandardCharsets.UTF_8);
    }

    private static byte[] readExactly(InputStream in, int n) throws IOException {
        byte[] b = StreamIo.readUpTo(in, n);
        if (b.length < n) {
            throw new CopyProtocolException("the feedback channel ended inside a reply (" + b.length + " of " + n
                    + " bytes): the receiver died");
        }
        return b;
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("jvz copy stream is closed");
        }
    }

    /** Closes both streams; without {@link #finish()} the receiver sees a broken stream and drops its file. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        StreamIo.closeAll(null, rawOut, feedback);
    }
}
