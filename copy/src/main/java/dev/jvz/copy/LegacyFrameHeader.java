package dev.jvz.copy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * One legacy ploop-copy frame header ({@code struct xfer_desc}, 16 bytes LE). Immutable; validates
 * marker and size bound on construction.
 *
 * @param size payload length in bytes (0 = end of stream, 4 = sync request)
 * @param pos byte offset in the destination image file
 */
record LegacyFrameHeader(int size, long pos) {
    LegacyFrameHeader {
        if (size < 0 || size > LegacyFormat.MAX_FRAME_SIZE) {
            throw new IllegalArgumentException("frame size (" + Integer.toUnsignedString(size)
                    + ") exceeds the allowed maximum (" + LegacyFormat.MAX_FRAME_SIZE + ")");
        }
        if (pos < 0) {
            throw new IllegalArgumentException("pos < 0: " + pos);
        }
    }

    boolean isEnd() {
        return size == LegacyFormat.END_SIZE;
    }

    boolean isSync() {
        return size == LegacyFormat.SYNC_SIZE;
    }

    /** Decodes 16 bytes; throws {@link CopyProtocolException} for a bad marker, size or position. */
    static LegacyFrameHeader decode(ByteBuffer buf, long streamOffset) throws CopyProtocolException {
        ByteBuffer b = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
        int marker = b.getInt();
        int size = b.getInt();
        long pos = b.getLong();
        if (marker != LegacyFormat.MARKER) {
            throw new CopyProtocolException(String.format(
                    "bad frame marker 0x%08x at stream offset %d (expected 0x%08x): the stream is"
                            + " corrupted or not a ploop-copy stream", marker, streamOffset, LegacyFormat.MARKER));
        }
        if (Integer.toUnsignedLong(size) > LegacyFormat.MAX_FRAME_SIZE) {
            throw new CopyProtocolException("frame size (" + Integer.toUnsignedString(size)
                    + ") at stream offset " + streamOffset + " exceeds the allowed maximum ("
                    + LegacyFormat.MAX_FRAME_SIZE + ", the largest ploop cluster)");
        }
        if (pos < 0 || pos > Long.MAX_VALUE - size) {
            throw new CopyProtocolException("frame position " + Long.toUnsignedString(pos)
                    + " at stream offset " + streamOffset + " is beyond the largest file offset");
        }
        return new LegacyFrameHeader(size, pos);
    }

    /** Writes the 16 header bytes into {@code out} (little-endian). */
    void encode(ByteBuffer out) {
        ByteBuffer b = out.order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(LegacyFormat.MARKER).putInt(size).putLong(pos);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(LegacyFormat.HEADER_SIZE);
        encode(b);
        return b.array();
    }
}
