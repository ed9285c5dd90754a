package dev.jvz.copy;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Sender side of the legacy ploop-copy stream (PLOOP-FORMAT.md section 3), byte-compatible with
 * ploop's receiver: data frames of at most {@link LegacyFormat#MAX_SEND_FRAME} bytes; {@link #sync()}
 * sends a 4-byte frame at position 0 carrying the image's first 4 bytes (as ploop does, so a
 * receiver older than the sync command writes back what is already there) and waits for
 * {@code SUCCESS\n}; {@link #finish()} syncs (when there is a feedback channel) and then sends the
 * end frame (size 0), after which the legacy receiver answers nothing.
 *
 * <p>A data write of exactly 4 bytes would read as a sync request, so it goes out as two 2-byte
 * frames. Not thread-safe: one sender thread, as {@link CopySink} says.
 */
public final class LegacyStreamSink implements CopySink {
    private static final int SCRATCH = 64 * 1024; // copy unit for direct buffers

    private final OutputStream out;
    private final OutputStream rawOut;
    private final InputStream feedback;
    private final byte[] head = new byte[LegacyFormat.SYNC_SIZE]; // image bytes 0..3 as last written
    private final byte[] scratch = new byte[SCRATCH];
    /** The socket channel under {@code out} when there is one and no throttle: direct payloads skip the copies. */
    private final ChannelOutput channelOut;
    private boolean finished;
    private boolean closed;

    /** @param feedback the back channel carrying sync answers, or null (then {@link #sync()} fails) */
    public LegacyStreamSink(OutputStream out, InputStream feedback) {
        this(out, feedback, 0);
    }

    /** @param bwlimitBytesPerSecond pace the stream to this many bytes a second; 0 = unlimited */
    public LegacyStreamSink(OutputStream out, InputStream feedback, long bwlimitBytesPerSecond) {
        this(out, feedback, bwlimitBytesPerSecond, RateLimiter.Pacing.SYSTEM);
    }

    /** As above, paced by {@code pacing}'s clock and sleeper (tests prove the pacing with fake ones). */
    LegacyStreamSink(OutputStream out, InputStream feedback, long bwlimitBytesPerSecond, RateLimiter.Pacing pacing) {
        this.rawOut = out;
        this.out = new BufferedOutputStream(ThrottledOutputStream.wrap(out, bwlimitBytesPerSecond, pacing), SCRATCH);
        this.feedback = feedback;
        this.channelOut = bwlimitBytesPerSecond == 0 ? ChannelOutput.of(out) : null;
    }

    @Override
    public void write(long pos, ByteBuffer data) throws IOException {
        ensureOpen();
        if (pos < 0) {
            throw new IllegalArgumentException("pos < 0: " + pos);
        }
        rememberHead(pos, data);
        long p = pos;
        try {
            while (data.hasRemaining()) {
                int n = Math.min(data.remaining(), LegacyFormat.MAX_SEND_FRAME);
                if (n == LegacyFormat.SYNC_SIZE) {
                    n = LegacyFormat.SYNC_SIZE / 2; // a 4-byte frame means "sync": send 2 + 2
                }
                byte[] header = new LegacyFrameHeader(n, p).encode();
                if (channelOut != null && data.isDirect() && n >= SCRATCH) {
                    out.flush(); // what the buffer holds goes first
                    sendGathered(header, data, n);
                } else {
                    out.write(header);
                    writePayload(data, n);
                }
                p += n;
            }
        } catch (IOException e) {
            throw explainBrokenStream(e);
        }
    }

    /**
     * The data stream broke (EPIPE, reset): the receiver stopped reading, normally because it
     * failed. Our receiver then answers FAILURE on the feedback channel before closing; read it so
     * the error says the receiver failed rather than just "Broken pipe". Blocks only until the
     * receiver closes its feedback end, which a dying receiver does.
     */
    private IOException explainBrokenStream(IOException e) {
        if (feedback == null) {
            return e;
        }
        try {
            byte[] answer = StreamIo.readUpTo(feedback, LegacyFormat.STATUS_LEN);
            if (Arrays.equals(answer, LegacyFormat.FAILURE)) {
                RemoteFailureException r = new RemoteFailureException("the receiver reported FAILURE and"
                        + " stopped reading (a write or fdatasync failed there, e.g. its disk is full); see its log");
                r.initCause(e);
                return r;
            }
        } catch (IOException suppressed) {
            e.addSuppressed(suppressed);
        }
        return e;
    }

    @Override
    public void sync() throws IOException {
        ensureOpen();
        if (feedback == null) {
            // ploop's sender without a feedback descriptor sends no sync requests: nobody could answer.
            // Push out what is buffered; durability comes with the receiver's fdatasync at the end frame.
            try {
                out.flush();
            } catch (IOException e) {
                throw explainBrokenStream(e);
            }
            return;
        }
        try {
            out.write(new LegacyFrameHeader(LegacyFormat.SYNC_SIZE, 0).encode());
            out.write(head);
            out.flush();
        } catch (IOException e) {
            throw explainBrokenStream(e);
        }
        byte[] answer = StreamIo.readUpTo(feedback, LegacyFormat.STATUS_LEN);
        if (Arrays.equals(answer, LegacyFormat.SUCCESS)) {
            return;
        }
        if (Arrays.equals(answer, LegacyFormat.FAILURE)) {
            throw new RemoteFailureException("the receiver reported FAILURE for a sync request"
                    + " (fdatasync or an earlier write failed there); see the receiver's log");
        }
        if (answer.length < LegacyFormat.STATUS_LEN) {
            throw new CopyProtocolException("the feedback channel closed after " + answer.length
                    + " of " + LegacyFormat.STATUS_LEN + " bytes of a sync answer: the receiver died or"
                    + " refused the stream");
        }
        throw new CopyProtocolException("unexpected sync answer '"
                + new String(answer, StandardCharsets.US_ASCII).strip() + "' (expected SUCCESS or FAILURE)");
    }

    @Override
    public void finish() throws IOException {
        ensureOpen();
        if (feedback != null) {
            sync();
        }
        out.write(new LegacyFrameHeader(LegacyFormat.END_SIZE, 0).encode());
        out.flush();
        finished = true;
        close();
    }

    /** True once {@link #finish()} completed. */
    public boolean finished() {
        return finished;
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        IOException first = null;
        try {
            if (finished) {
                out.flush();
            }
        } catch (IOException e) {
            first = e;
        }
        // Without finish() we close without an end frame: the receiver sees a truncated stream and
        // drops its partial file. Closing the raw stream (not flushing buffered frames) is deliberate.
        StreamIo.closeAll(first, rawOut, feedback);
    }

    private void ensureOpen() throws IOException {
        if (closed) {
            throw new IOException("legacy copy stream is closed");
        }
    }

    private void rememberHead(long pos, ByteBuffer data) {
        for (int i = 0; i < head.length; i++) {
            long off = i - pos;
            if (off >= 0 && off < data.remaining()) {
                head[i] = data.get(data.position() + (int) off);
            }
        }
    }

    /** Header and a direct payload straight to the channel, at most {@link ChannelOutput#MAX_CALL} a call. */
    private void sendGathered(byte[] header, ByteBuffer data, int n) throws IOException {
        int first = Math.min(n, ChannelOutput.MAX_CALL);
        channelOut.writeFully(ByteBuffer.wrap(header), data.slice(data.position(), first));
        for (int off = first; off < n; off += ChannelOutput.MAX_CALL) {
            channelOut.writeFully(data.slice(data.position() + off, Math.min(ChannelOutput.MAX_CALL, n - off)));
        }
        data.position(data.position() + n);
    }

    private void writePayload(ByteBuffer data, int n) throws IOException {
        if (data.hasArray()) {
            out.write(data.array(), data.arrayOffset() + data.position(), n);
            data.position(data.position() + n);
            return;
        }
        int left = n;
        while (left > 0) {
            int k = Math.min(left, scratch.length);
            data.get(scratch, 0, k);
            out.write(scratch, 0, k);
            left -= k;
        }
    }
}
