package dev.jvz.nbd;

import java.nio.ByteBuffer;

/**
 * Frames the client's side of the handshake (proto.md "Newstyle negotiation"): the 32-bit client
 * flags, then options ({@code IHAVEOPT}, option, length, data). An explicit state machine:
 *
 * <pre>
 * CLIENT_FLAGS ─▶ OPTION_HEADER ─▶ OPTION_DATA ─┐
 *                   ▲      │                    │
 *                   │      └─▶ SKIP_DATA ───────┤   (length above the limit: skipped, never buffered)
 *                   └───────────────────────────┘
 * any state ─▶ FAILED on a wrong magic (framing lost; the connection must be dropped)
 * </pre>
 *
 * <p>{@link #decode} consumes only the bytes of the message it completes, so whatever follows (the
 * first transmission request after NBD_OPT_GO) stays in the caller's buffer. Input may arrive in
 * pieces of any size, down to one byte. Not thread-safe: one per connection.
 */
final class OptionDecoder {
    enum State { CLIENT_FLAGS, OPTION_HEADER, OPTION_DATA, SKIP_DATA, FAILED }

    /** magic(8) + option(4) + length(4). */
    private static final int OPTION_HEADER_SIZE = 16;

    private State state = State.CLIENT_FLAGS;
    private final ByteBuffer header = ByteBuffer.allocate(OPTION_HEADER_SIZE);
    private int option;
    private byte[] data;
    private int dataPos;
    private long skipLength;
    private long skipRemaining;

    OptionDecoder() {
        header.limit(4);
    }

    State state() {
        return state;
    }

    /**
     * Consumes input from {@code in} and returns the next complete message, or null when {@code in} is
     * exhausted first (call again with more input).
     *
     * @throws NbdProtocolException when the option magic is wrong; the decoder is FAILED afterwards
     */
    ClientMessage decode(ByteBuffer in) throws NbdProtocolException {
        while (true) {
            switch (state) {
                case CLIENT_FLAGS -> {
                    if (!fill(header, in)) {
                        return null;
                    }
                    int flags = header.flip().getInt();
                    startHeader();
                    return new ClientMessage.ClientFlags(flags);
                }
                case OPTION_HEADER -> {
                    if (!fill(header, in)) {
                        return null;
                    }
                    header.flip();
                    long magic = header.getLong();
                    if (magic != Nbd.IHAVEOPT) {
                        state = State.FAILED;
                        throw new NbdProtocolException("option magic 0x" + Long.toHexString(magic)
                                + " (expected: 0x" + Long.toHexString(Nbd.IHAVEOPT) + ")");
                    }
                    option = header.getInt();
                    long length = Integer.toUnsignedLong(header.getInt());
                    if (length > Nbd.MAX_OPTION_LENGTH) {
                        skipLength = length;
                        skipRemaining = length;
                        state = State.SKIP_DATA;
                    } else {
                        data = new byte[(int) length];
                        dataPos = 0;
                        state = State.OPTION_DATA;
                    }
                }
                case OPTION_DATA -> {
                    int n = Math.min(in.remaining(), data.length - dataPos);
                    in.get(data, dataPos, n);
                    dataPos += n;
                    if (dataPos < data.length) {
                        return null;
                    }
                    ClientMessage.Option o = new ClientMessage.Option(option, data);
                    data = null;
                    startHeader();
                    return o;
                }
                case SKIP_DATA -> {
                    int n = (int) Math.min(in.remaining(), skipRemaining);
                    in.position(in.position() + n);
                    skipRemaining -= n;
                    if (skipRemaining > 0) {
                        return null;
                    }
                    startHeader();
                    return new ClientMessage.OversizedOption(option, skipLength);
                }
                case FAILED -> throw new IllegalStateException("decoder failed earlier; the connection must be closed");
            }
        }
    }

    private void startHeader() {
        header.clear();
        state = State.OPTION_HEADER;
    }

    /** Copies from {@code in} until {@code dst} is full; true when full. */
    static boolean fill(ByteBuffer dst, ByteBuffer in) {
        int n = Math.min(dst.remaining(), in.remaining());
        if (n > 0) {
            dst.put(dst.position(), in, in.position(), n);
            dst.position(dst.position() + n);
            in.position(in.position() + n);
        }
        return !dst.hasRemaining();
    }
}
