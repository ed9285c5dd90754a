package dev.jvz.copy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** One jvz frame header (32 bytes LE, {@link JvzFormat}). Immutable; validated on construction. */
record JvzFrameHeader(int type, int flags, int wireLength, int rawLength, long pos, int crc32c) {
    JvzFrameHeader {
        if (type < 0 || type > 0xff || flags < 0 || flags > 0xff) {
            throw new IllegalArgumentException("type/flags out of range: " + type + "/" + flags);
        }
        if (wireLength < 0 || rawLength < 0 || pos < 0) {
            throw new IllegalArgumentException("negative length or pos: " + wireLength + "/" + rawLength + "/" + pos);
        }
    }

    static JvzFrameHeader of(int type, long pos) {
        return new JvzFrameHeader(type, 0, 0, 0, pos, 0);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(JvzFormat.HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(JvzFormat.MARKER).put((byte) type).put((byte) flags).putShort((short) 0)
                .putInt(wireLength).putInt(rawLength).putLong(pos).putInt(crc32c).putInt(0);
        return b.array();
    }

    void write(OutputStream out) throws IOException {
        out.write(encode());
    }

    /**
     * Reads a header; {@code prefix} holds bytes already consumed (the receiver's protocol probe).
     * Unsigned lengths beyond int range or a negative pos are protocol errors.
     */
    static JvzFrameHeader read(InputStream in, byte[] prefix) throws IOException {
        byte[] raw = new byte[JvzFormat.HEADER_SIZE];
        int have = prefix.length;
        System.arraycopy(prefix, 0, raw, 0, have);
        int n = StreamIo.readFully(in, raw, have, raw.length - have);
        if (have + n == 0) {
            throw new EOFException("stream ended before a frame header");
        }
        if (have + n < raw.length) {
            throw new CopyProtocolException("stream ended inside a frame header (" + (have + n) + " of "
                    + JvzFormat.HEADER_SIZE + " bytes): the peer stopped or the connection broke");
        }
        return decode(ByteBuffer.wrap(raw));
    }

    /**
     * Decodes the {@link JvzFormat#HEADER_SIZE} bytes at {@code src}'s position (src itself is not
     * moved). Unsigned lengths beyond int range or a negative pos are protocol errors.
     */
    static JvzFrameHeader decode(ByteBuffer src) throws CopyProtocolException {
        if (src.remaining() < JvzFormat.HEADER_SIZE) {
            throw new IllegalArgumentException("a frame header needs " + JvzFormat.HEADER_SIZE + " bytes, got "
                    + src.remaining());
        }
        ByteBuffer b = src.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int marker = b.getInt();
        if (marker != JvzFormat.MARKER) {
            throw new CopyProtocolException(String.format("bad jvz frame marker 0x%08x (expected 0x%08x)",
                    marker, JvzFormat.MARKER));
        }
        int type = b.get() & 0xff;
        int flags = b.get() & 0xff;
        b.getShort();
        int wire = b.getInt();
        int rawLen = b.getInt();
        long pos = b.getLong();
        int crc = b.getInt();
        if (wire < 0 || rawLen < 0 || pos < 0) {
            throw new CopyProtocolException("jvz frame type 0x" + Integer.toHexString(type) + " has a length ("
                    + Integer.toUnsignedString(wire) + "/" + Integer.toUnsignedString(rawLen)
                    + ") or position (" + Long.toUnsignedString(pos) + ") out of range");
        }
        return new JvzFrameHeader(type, flags, wire, rawLen, pos, crc);
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }
}
