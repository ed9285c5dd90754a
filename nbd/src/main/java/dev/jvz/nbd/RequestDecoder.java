package dev.jvz.nbd;

import java.nio.ByteBuffer;
import java.util.function.IntFunction;

/**
 * Frames the transmission phase (proto.md "Request message"): 28-byte headers, each NBD_CMD_WRITE
 * followed by its payload. An explicit state machine:
 *
 * <pre>
 * HEADER ─▶ (write, length ≤ MAX_REQUEST) PAYLOAD ─▶ HEADER
 *        ─▶ (write, length > MAX_REQUEST) SKIP    ─▶ HEADER   (payload discarded, answered with EINVAL)
 *        ─▶ (other command)                          HEADER
 * HEADER ─▶ FAILED on a wrong magic (framing lost: the connection must be dropped)
 * </pre>
 *
 * <p>The payload is copied into a buffer from {@code buffers}, never allocated at the announced length
 * before the length is checked. For large payloads the caller can read the socket straight into
 * {@link #payloadSink()} instead of going through its input buffer. Input may arrive in pieces of any
 * size, down to one byte. Not thread-safe: one per connection.
 */
final class RequestDecoder {
    enum State { HEADER, PAYLOAD, SKIP, FAILED }

    private final IntFunction<ByteBuffer> buffers;
    private final ByteBuffer header = ByteBuffer.allocate(Nbd.REQUEST_HEADER_SIZE);
    private State state = State.HEADER;
    private Request current;
    private ByteBuffer payload;
    private long skipRemaining;

    /** @param buffers gives a buffer with at least the asked capacity, position 0, limit = the asked length */
    RequestDecoder(IntFunction<ByteBuffer> buffers) {
        this.buffers = buffers;
    }

    State state() {
        return state;
    }

    /**
     * In state PAYLOAD, the part of the payload buffer still to be filled (the caller may read into it
     * directly, then call {@link #decode} to complete the frame); otherwise null.
     */
    ByteBuffer payloadSink() {
        return state == State.PAYLOAD ? payload : null;
    }

    /**
     * Consumes input from {@code in} and returns the next complete message, or null when {@code in} is
     * exhausted first.
     *
     * @throws NbdProtocolException on a wrong request magic; the decoder is FAILED afterwards
     */
    Incoming decode(ByteBuffer in) throws NbdProtocolException {
        while (true) {
            switch (state) {
                case HEADER -> {
                    if (!OptionDecoder.fill(header, in)) {
                        return null;
                    }
                    header.flip();
                    int magic = header.getInt(0);
                    if (magic != Nbd.REQUEST_MAGIC) {
                        state = State.FAILED;
                        throw new NbdProtocolException("request magic 0x" + Integer.toHexString(magic)
                                + " (expected: 0x" + Integer.toHexString(Nbd.REQUEST_MAGIC) + ")");
                    }
                    Request r = Request.decode(header);
                    header.clear();
                    if (!r.hasPayload()) {
                        return new Incoming.Command(r, null);
                    }
                    current = r;
                    if (r.length() > Nbd.MAX_REQUEST) {
                        skipRemaining = r.length();
                        state = State.SKIP;
                    } else {
                        payload = buffers.apply((int) r.length());
                        state = State.PAYLOAD;
                    }
                }
                case PAYLOAD -> {
                    int n = Math.min(payload.remaining(), in.remaining());
                    if (n > 0) {
                        payload.put(payload.position(), in, in.position(), n);
                        payload.position(payload.position() + n);
                        in.position(in.position() + n);
                    }
                    if (payload.hasRemaining()) {
                        return null;
                    }
                    Incoming.Command c = new Incoming.Command(current, payload.flip());
                    payload = null;
                    current = null;
                    state = State.HEADER;
                    return c;
                }
                case SKIP -> {
                    int n = (int) Math.min(in.remaining(), skipRemaining);
                    in.position(in.position() + n);
                    skipRemaining -= n;
                    if (skipRemaining > 0) {
                        return null;
                    }
                    Incoming.SkippedWrite s = new Incoming.SkippedWrite(current);
                    current = null;
                    state = State.HEADER;
                    return s;
                }
                case FAILED -> throw new IllegalStateException("decoder failed earlier; the connection must be closed");
            }
        }
    }

    /** True between messages: no byte of a next header or payload has been consumed yet. */
    boolean atBoundary() {
        return state == State.HEADER && header.position() == 0;
    }

    /** The payload buffer being filled, if any, so a dying connection can give it back. */
    ByteBuffer abandon() {
        ByteBuffer p = payload;
        payload = null;
        return p;
    }
}
