package dev.jvz.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Encoders for everything the server sends (proto.md "Fixed newstyle negotiation", "Simple reply
 * message", "Structured reply chunk message"). Frame headers are immutable records validated in their
 * constructors; payloads are small heap buffers (the data of a read never passes through here: it is
 * gathered from the I/O buffer straight behind its chunk header).
 *
 * <p>Thread-safe: stateless; every call returns fresh buffers.
 */
final class Replies {
    private Replies() {}

    /** Option reply header: magic(8), option(4), reply type(4), length(4). */
    record OptionReplyHeader(int option, int type, int length) {
        static final int SIZE = 20;

        OptionReplyHeader {
            if (length < 0) {
                throw new IllegalArgumentException("length: " + length + " (expected: >= 0)");
            }
        }

        void encode(ByteBuffer b) {
            b.putLong(Nbd.OPTION_REPLY_MAGIC).putInt(option).putInt(type).putInt(length);
        }
    }

    /** Simple reply: magic(4), error(4), handle(8). */
    record SimpleReply(int error, long handle) {
        SimpleReply {
            if (error < 0) {
                throw new IllegalArgumentException("error: " + error + " (expected: >= 0)");
            }
        }

        ByteBuffer encode() {
            ByteBuffer b = ByteBuffer.allocate(Nbd.SIMPLE_REPLY_SIZE);
            b.putInt(Nbd.SIMPLE_REPLY_MAGIC).putInt(error).putLong(handle);
            return b.flip();
        }
    }

    /** Structured reply chunk header: magic(4), flags(2), type(2), handle(8), payload length(4). */
    record ChunkHeader(int flags, int type, long handle, long length) {
        ChunkHeader {
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

        void encode(ByteBuffer b) {
            b.putInt(Nbd.STRUCTURED_REPLY_MAGIC).putShort((short) flags).putShort((short) type).putLong(handle)
                    .putInt((int) length);
        }
    }

    /** The server's greeting: NBDMAGIC, IHAVEOPT, 16-bit handshake flags. */
    static ByteBuffer greeting() {
        ByteBuffer b = ByteBuffer.allocate(18);
        b.putLong(Nbd.NBDMAGIC).putLong(Nbd.IHAVEOPT).putShort((short) (Nbd.FLAG_FIXED_NEWSTYLE | Nbd.FLAG_NO_ZEROES));
        return b.flip();
    }

    static ByteBuffer option(int option, int type, ByteBuffer payload) {
        int len = payload == null ? 0 : payload.remaining();
        ByteBuffer b = ByteBuffer.allocate(OptionReplyHeader.SIZE + len);
        new OptionReplyHeader(option, type, len).encode(b);
        if (payload != null) {
            b.put(payload);
        }
        return b.flip();
    }

    static ByteBuffer optionError(int option, int type, String message) {
        return option(option, type, ByteBuffer.wrap(truncate(message)));
    }

    /** NBD_REP_INFO / NBD_INFO_EXPORT: type(2), size(8), transmission flags(2). */
    static ByteBuffer infoExport(long size, int flags) {
        return ByteBuffer.allocate(12).putShort((short) Nbd.INFO_EXPORT).putLong(size).putShort((short) flags).flip();
    }

    /** NBD_INFO_NAME / NBD_INFO_DESCRIPTION: type(2), string. */
    static ByteBuffer infoString(int type, String s) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + bytes.length).putShort((short) type).put(bytes).flip();
    }

    /** NBD_INFO_BLOCK_SIZE: type(2), minimum(4), preferred(4), maximum(4). */
    static ByteBuffer infoBlockSize(int min, int preferred, int max) {
        return ByteBuffer.allocate(14).putShort((short) Nbd.INFO_BLOCK_SIZE).putInt(min).putInt(preferred).putInt(max)
                .flip();
    }

    /** NBD_REP_SERVER: name length(4), name, then a human-readable description. */
    static ByteBuffer server(String name, String description) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        byte[] d = description == null ? new byte[0] : description.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length + d.length).putInt(n.length).put(n).put(d).flip();
    }

    /** NBD_REP_META_CONTEXT: context id(4), name. */
    static ByteBuffer metaContext(int id, String name) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(4 + n.length).putInt(id).put(n).flip();
    }

    /** Reply to NBD_OPT_EXPORT_NAME: size(8), transmission flags(2), 124 zeros unless NO_ZEROES. */
    static ByteBuffer exportName(long size, int flags, boolean noZeroes) {
        ByteBuffer b = ByteBuffer.allocate(10 + (noZeroes ? 0 : Nbd.EXPORT_NAME_ZERO_PAD));
        b.putLong(size).putShort((short) flags);
        return b.position(b.limit()).flip();
    }

    /** A final NBD_REPLY_TYPE_ERROR chunk: error(4), message length(2), message. */
    static ByteBuffer errorChunk(long handle, int error, String message) {
        if (error <= 0) {
            throw new IllegalArgumentException("error: " + error + " (expected: > 0)");
        }
        byte[] m = truncate(message);
        ByteBuffer b = ByteBuffer.allocate(Nbd.CHUNK_HEADER_SIZE + 6 + m.length);
        new ChunkHeader(Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_ERROR, handle, 6 + m.length).encode(b);
        b.putInt(error).putShort((short) m.length).put(m);
        return b.flip();
    }

    /** A final NBD_REPLY_TYPE_NONE chunk. */
    static ByteBuffer noneChunk(long handle) {
        ByteBuffer b = ByteBuffer.allocate(Nbd.CHUNK_HEADER_SIZE);
        new ChunkHeader(Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_NONE, handle, 0).encode(b);
        return b.flip();
    }

    /** Messages are strings: at most 4096 bytes of UTF-8, cut at a character boundary. */
    static byte[] truncate(String message) {
        byte[] m = message.getBytes(StandardCharsets.UTF_8);
        if (m.length <= Nbd.MAX_STRING) {
            return m;
        }
        int end = Nbd.MAX_STRING;
        while (end > 0 && (m[end] & 0xC0) == 0x80) {
            end--;
        }
        return java.util.Arrays.copyOf(m, end);
    }
}
