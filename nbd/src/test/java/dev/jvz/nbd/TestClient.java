package dev.jvz.nbd;

import java.io.EOFException;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A deliberately small, strict NBD client for tests: it checks every magic and length the server sends
 * and lets a test send arbitrary (also malformed) bytes.
 */
final class TestClient implements AutoCloseable {
    final SocketChannel ch;
    int handshakeFlags;
    long size;
    int transmissionFlags;
    boolean structured;

    record OptionReply(int option, int type, byte[] data) {
        ByteBuffer buffer() {
            return ByteBuffer.wrap(data);
        }
    }

    /** One reply to a transmission request. For structured replies, every chunk; data reassembled. */
    record Reply(long handle, int error, byte[] data, List<int[]> chunkTypes, List<long[]> extents, String message) {}

    TestClient(SocketAddress address) throws IOException {
        ch = address instanceof UnixDomainSocketAddress ? SocketChannel.open(StandardProtocolFamily.UNIX)
                : SocketChannel.open();
        ch.connect(address);
    }

    static TestClient unix(java.nio.file.Path socket) throws IOException {
        return new TestClient(UnixDomainSocketAddress.of(socket));
    }

    /** Reads the greeting and sends client flags. */
    TestClient greet(int clientFlags) throws IOException {
        ByteBuffer g = readN(18);
        check(g.getLong() == Nbd.NBDMAGIC, "NBDMAGIC");
        check(g.getLong() == Nbd.IHAVEOPT, "IHAVEOPT");
        handshakeFlags = Short.toUnsignedInt(g.getShort());
        send(ByteBuffer.allocate(4).putInt(clientFlags).flip());
        return this;
    }

    void sendOption(int option, byte[] data) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + data.length);
        b.putLong(Nbd.IHAVEOPT).putInt(option).putInt(data.length).put(data);
        send(b.flip());
    }

    OptionReply readOptionReply() throws IOException {
        ByteBuffer h = readN(20);
        check(h.getLong() == Nbd.OPTION_REPLY_MAGIC, "option reply magic");
        int opt = h.getInt();
        int type = h.getInt();
        int len = h.getInt();
        check(len >= 0 && len < 1 << 20, "option reply length " + len);
        byte[] d = new byte[len];
        readN(len).get(d);
        return new OptionReply(opt, type, d);
    }

    /** Replies up to and including the first that is not REP_INFO/SERVER/META_CONTEXT. */
    List<OptionReply> option(int option, byte[] data) throws IOException {
        sendOption(option, data);
        List<OptionReply> out = new ArrayList<>();
        while (true) {
            OptionReply r = readOptionReply();
            check(r.option() == option, "reply for option " + r.option() + ", expected " + option);
            out.add(r);
            if (r.type() != Nbd.REP_INFO && r.type() != Nbd.REP_SERVER && r.type() != Nbd.REP_META_CONTEXT) {
                return out;
            }
        }
    }

    static byte[] exportData(String name, int... infos) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + n.length + 2 + 2 * infos.length);
        b.putInt(n.length).put(n).putShort((short) infos.length);
        for (int i : infos) {
            b.putShort((short) i);
        }
        return b.array();
    }

    static byte[] metaData(String name, String... queries) {
        byte[] n = name.getBytes(StandardCharsets.UTF_8);
        int len = 4 + n.length + 4;
        for (String q : queries) {
            len += 4 + q.getBytes(StandardCharsets.UTF_8).length;
        }
        ByteBuffer b = ByteBuffer.allocate(len);
        b.putInt(n.length).put(n).putInt(queries.length);
        for (String q : queries) {
            byte[] qb = q.getBytes(StandardCharsets.UTF_8);
            b.putInt(qb.length).put(qb);
        }
        return b.array();
    }

    /** Full modern handshake: structured replies, base:allocation, GO. */
    TestClient connectStructured(String name) throws IOException {
        greet(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
        check(option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]).getLast().type() == Nbd.REP_ACK, "structured ack");
        structured = true;
        List<OptionReply> meta = option(Nbd.OPT_SET_META_CONTEXT, metaData(name, Nbd.BASE_ALLOCATION));
        check(meta.getLast().type() == Nbd.REP_ACK && meta.size() == 2, "base:allocation selected");
        return go(name);
    }

    /** Plain handshake: GO without structured replies. */
    TestClient connectSimple(String name) throws IOException {
        greet(Nbd.FLAG_C_FIXED_NEWSTYLE | Nbd.FLAG_C_NO_ZEROES);
        return go(name);
    }

    TestClient go(String name) throws IOException {
        List<OptionReply> rs = option(Nbd.OPT_GO, exportData(name, Nbd.INFO_BLOCK_SIZE));
        check(rs.getLast().type() == Nbd.REP_ACK, "GO acked: type 0x" + Integer.toHexString(rs.getLast().type()));
        for (OptionReply r : rs) {
            if (r.type() == Nbd.REP_INFO && r.buffer().getShort() == Nbd.INFO_EXPORT) {
                ByteBuffer b = r.buffer();
                b.getShort();
                size = b.getLong();
                transmissionFlags = Short.toUnsignedInt(b.getShort());
            }
        }
        return this;
    }

    void sendRequest(int flags, int type, long handle, long offset, long length, ByteBuffer payload) throws IOException {
        ByteBuffer h = new Request(flags, type, handle, offset, length).encode();
        if (payload == null) {
            send(h);
        } else {
            ByteBuffer[] bs = {h, payload};
            while (h.hasRemaining() || payload.hasRemaining()) {
                ch.write(bs);
            }
        }
    }

    /**
     * Reads one whole reply. {@code readLength} is the data length expected for a successful simple
     * read reply (0 for every other command).
     */
    Reply readReply(int readLength) throws IOException {
        ByteBuffer m = readN(4);
        int magic = m.getInt();
        if (magic == Nbd.SIMPLE_REPLY_MAGIC) {
            ByteBuffer h = readN(12);
            int err = h.getInt();
            long handle = h.getLong();
            byte[] data = new byte[err == 0 ? readLength : 0];
            readN(data.length).get(data);
            return new Reply(handle, err, data, List.of(), List.of(), null);
        }
        check(magic == Nbd.STRUCTURED_REPLY_MAGIC, "reply magic 0x" + Integer.toHexString(magic));
        byte[] data = null;
        long base = -1;
        List<int[]> types = new ArrayList<>();
        List<long[]> extents = new ArrayList<>();
        int error = 0;
        String message = null;
        long handle;
        boolean first = true;
        while (true) {
            if (!first) {
                check(readN(4).getInt() == Nbd.STRUCTURED_REPLY_MAGIC, "chunk magic");
            }
            first = false;
            ByteBuffer h = readN(16);
            int flags = Short.toUnsignedInt(h.getShort());
            int type = Short.toUnsignedInt(h.getShort());
            handle = h.getLong();
            int len = h.getInt();
            check(len >= 0 && len <= Nbd.MAX_REQUEST + 8, "chunk length " + len);
            ByteBuffer p = readN(len);
            types.add(new int[] {type, len});
            switch (type) {
                case Nbd.REPLY_TYPE_NONE -> check(len == 0 && (flags & 1) == 1, "NONE chunk");
                case Nbd.REPLY_TYPE_OFFSET_DATA, Nbd.REPLY_TYPE_OFFSET_HOLE -> {
                    long off = p.getLong();
                    int n = type == Nbd.REPLY_TYPE_OFFSET_HOLE ? p.getInt() : p.remaining();
                    check(n > 0, "empty content chunk");
                    if (data == null) {
                        data = new byte[Math.max(readLength, 0)];
                        base = off;
                    }
                    check(off >= base && off - base + n <= data.length, "chunk outside the request");
                    if (type == Nbd.REPLY_TYPE_OFFSET_DATA) {
                        p.get(data, (int) (off - base), n);
                    }
                }
                case Nbd.REPLY_TYPE_BLOCK_STATUS -> {
                    check(len >= 12 && (len - 4) % 8 == 0, "block status length " + len);
                    check(p.getInt() == Nbd.BASE_ALLOCATION_ID, "context id");
                    while (p.hasRemaining()) {
                        extents.add(new long[] {Integer.toUnsignedLong(p.getInt()), p.getInt()});
                    }
                }
                case Nbd.REPLY_TYPE_ERROR -> {
                    error = p.getInt();
                    int ml = Short.toUnsignedInt(p.getShort());
                    byte[] mb = new byte[ml];
                    p.get(mb);
                    message = new String(mb, StandardCharsets.UTF_8);
                    check(error != 0, "error chunk with error 0");
                }
                default -> throw new IOException("unexpected chunk type " + type);
            }
            if ((flags & Nbd.REPLY_FLAG_DONE) != 0) {
                break;
            }
        }
        return new Reply(handle, error, data == null ? new byte[0] : data, types, extents, message);
    }

    Reply request(int flags, int type, long offset, long length, ByteBuffer payload) throws IOException {
        long handle = System.nanoTime();
        sendRequest(flags, type, handle, offset, length, payload);
        Reply r = readReply(type == Nbd.CMD_READ ? (int) length : 0);
        check(r.handle() == handle, "handle " + r.handle() + " != " + handle);
        return r;
    }

    Reply read(long offset, int length) throws IOException {
        return request(0, Nbd.CMD_READ, offset, length, null);
    }

    Reply write(long offset, byte[] data, int flags) throws IOException {
        return request(flags, Nbd.CMD_WRITE, offset, data.length, ByteBuffer.wrap(data));
    }

    void disconnect() throws IOException {
        sendRequest(0, Nbd.CMD_DISC, 1, 0, 0, null);
    }

    void send(ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    ByteBuffer readN(int n) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(n);
        while (b.hasRemaining()) {
            if (ch.read(b) < 0) {
                throw new EOFException("server closed the connection after " + b.position() + " of " + n + " bytes");
            }
        }
        return b.flip();
    }

    /** True when the server has closed the connection (reads EOF, or a reset). */
    boolean closedByServer() {
        try {
            ByteBuffer b = ByteBuffer.allocate(1);
            return ch.read(b) < 0;
        } catch (IOException e) {
            return true;
        }
    }

    private static void check(boolean ok, String what) throws IOException {
        if (!ok) {
            throw new IOException("protocol check failed: " + what);
        }
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }
}
