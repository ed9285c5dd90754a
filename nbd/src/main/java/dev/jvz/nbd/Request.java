package dev.jvz.nbd;

import java.nio.ByteBuffer;

/**
 * One transmission request header (proto.md "Request message"): flags, type, handle, offset, length.
 * The write payload travels separately. Values are the raw unsigned wire values: {@code offset} is an
 * unsigned 64-bit number held in a long, {@code length} an unsigned 32-bit number held in a long.
 *
 * <p>Immutable. The constructor checks ranges only; whether a request makes sense for an export is the
 * server's decision, answered with an error reply.
 */
record Request(int flags, int type, long handle, long offset, long length) {
    Request {
        if (flags < 0 || flags > 0xFFFF) {
            throw new IllegalArgumentException("flags: " + flags + " (expected: 0~65535)");
        }
        if (type < 0 || type > 0xFFFF) {
            throw new IllegalArgumentException("type: " + type + " (expected: 0~65535)");
        }
        if (length < 0 || length > 0xFFFF_FFFFL) {
            throw new IllegalArgumentException("length: " + length + " (expected: 0~4294967295)");
        }
    }

    /** Decodes the 28-byte header at {@code b}'s position; the magic must already be known to match. */
    static Request decode(ByteBuffer b) {
        int magic = b.getInt();
        if (magic != Nbd.REQUEST_MAGIC) {
            throw new IllegalArgumentException("request magic 0x" + Integer.toHexString(magic) + " (expected: 0x"
                    + Integer.toHexString(Nbd.REQUEST_MAGIC) + ")");
        }
        int flags = Short.toUnsignedInt(b.getShort());
        int type = Short.toUnsignedInt(b.getShort());
        long handle = b.getLong();
        long offset = b.getLong();
        long length = Integer.toUnsignedLong(b.getInt());
        return new Request(flags, type, handle, offset, length);
    }

    /** The 28-byte header (tests and clients). */
    ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(Nbd.REQUEST_HEADER_SIZE);
        b.putInt(Nbd.REQUEST_MAGIC).putShort((short) flags).putShort((short) type).putLong(handle).putLong(offset)
                .putInt((int) length);
        return b.flip();
    }

    /** True when the request carries a payload of {@link #length} bytes after the header. */
    boolean hasPayload() {
        return type == Nbd.CMD_WRITE;
    }

    /** True when [offset, offset + length) does not fit in an export of {@code size} bytes. */
    boolean beyond(long size) {
        // offset is unsigned: a "negative" long is beyond any export.
        return offset < 0 || offset > size || length > size - offset;
    }

    boolean has(int flag) {
        return (flags & flag) != 0;
    }

    @Override
    public String toString() {
        return Nbd.commandName(type) + "(flags=0x" + Integer.toHexString(flags) + ", handle=" + handle + ", offset="
                + Long.toUnsignedString(offset) + ", length=" + length + ")";
    }
}
