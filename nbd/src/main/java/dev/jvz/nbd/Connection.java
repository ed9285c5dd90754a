package dev.jvz.nbd;

import dev.jvz.image.Image;
import java.io.EOFException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.ByteChannel;
import java.nio.channels.GatheringByteChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;

/**
 * One client, from greeting to disconnect (proto.md "Protocol phases").
 *
 * <p>The connection's own (platform) thread runs the handshake, then reads and frames requests. A
 * request that arrives while the connection is idle runs on that thread (no hand-off: the fastest path
 * for a client that waits for each reply); otherwise it is handed to the server's request executor (by
 * default a small pool of platform threads; see {@link RequestExecution}), so a client that pipelines
 * requests gets them served concurrently and
 * answered in completion order (the spec allows replies out of order). A byte budget
 * ({@link #inflight}, {@link Nbd#MAX_INFLIGHT_BYTES}) stops reading when too much is queued, which
 * bounds the memory one client can pin. Replies are written whole by {@link ReplyWriter}.
 *
 * <p>Durability: FLUSH and FUA call {@code BlockDevice.flush()}. For an {@link Image} that is one
 * fdatasync of the top delta followed by the dirty BAT pages, on the one file channel that every
 * connection writes through; so a FLUSH covers every write that any connection completed (replied to)
 * before it, which is what NBD_FLAG_CAN_MULTI_CONN promises. No connection caches data.
 *
 * <p>Failure isolation: a client that breaks framing, sends garbage or vanishes mid-request only ends
 * its own connection; requests already executing finish against the image (their replies are
 * dropped), and other connections never share a lock with this one except the image's own.
 *
 * <p>Thread-safety: handshake state is confined to the connection thread; after the handshake it is
 * only read, published to request threads by the executor hand-off (which orders it before each
 * task). {@link #inflight} and the writer are thread-safe.
 */
final class Connection implements Runnable {
    private static final System.Logger LOG = System.getLogger(Connection.class.getName());
    /** Payloads at least this long are read from the socket straight into their buffer. */
    private static final int DIRECT_READ_MIN = 16 * 1024;

    private final int id;
    private final ByteChannel channel;
    private final Export export;
    private final BufferPool pool;
    private final Runnable onClose;
    private final ReplyWriter writer;
    private final ByteBuffer in = ByteBuffer.allocateDirect(Nbd.INPUT_BUFFER).flip();
    private final Semaphore inflight = new Semaphore(Nbd.MAX_INFLIGHT_BYTES);
    private final java.time.Duration handshakeTimeout;
    /** Runs requests; null runs each on the connection thread, in order. */
    private final Executor requests;

    // Negotiated during the handshake, read-only afterwards.
    private boolean noZeroes;
    private boolean structured;
    private boolean metaAllocation;
    private volatile boolean transmission;

    /** Zeros for WRITE_ZEROES with NO_HOLE; read-only, shared by all connections. */
    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 20).asReadOnlyBuffer();

    Connection(int id, ByteChannel channel, Export export, BufferPool pool, Executor requests,
            java.time.Duration handshakeTimeout, Runnable onClose) {
        if (!(channel instanceof GatheringByteChannel g)) {
            throw new IllegalArgumentException("channel must support gathering writes: " + channel);
        }
        this.id = id;
        this.channel = channel;
        this.export = export;
        this.pool = pool;
        this.onClose = onClose;
        this.writer = new ReplyWriter(g);
        this.requests = requests;
        this.handshakeTimeout = handshakeTimeout;
    }

    @Override
    public void run() {
        // A watchdog ends a handshake that takes too long (Nbd.HANDSHAKE_TIMEOUT); interrupted once done.
        Thread watchdog = Thread.ofVirtual().name("nbd-" + id + "-handshake-watchdog").start(() -> {
            try {
                Thread.sleep(handshakeTimeout);
                if (!transmission) {
                    LOG.log(Level.INFO, "nbd connection {0}: no export chosen within {1}, disconnecting", id,
                            handshakeTimeout);
                    closeChannel();
                }
            } catch (InterruptedException e) {
                // handshake over (or connection ended): nothing to watch
            }
        });
        try {
            boolean go;
            try {
                go = handshake();
                transmission = go;
            } finally {
                watchdog.interrupt();
            }
            if (go) {
                transmit();
            }
        } catch (NbdProtocolException e) {
            LOG.log(Level.INFO, "nbd connection {0}: protocol violation, disconnecting: {1}", id, e.getMessage());
        } catch (EOFException e) {
            LOG.log(Level.DEBUG, "nbd connection {0}: client went away: {1}", id, e.getMessage());
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "nbd connection {0}: I/O error, disconnecting: {1}", id, e.toString());
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, "nbd connection " + id + ": internal error, disconnecting", e);
        } finally {
            closeChannel();
            onClose.run();
        }
    }

    /** Hard disconnect: closing the channel also wakes the reader. */
    void closeChannel() {
        try {
            channel.close();
        } catch (IOException e) {
            LOG.log(Level.DEBUG, "nbd connection {0}: close: {1}", id, e.toString());
        }
    }

    /** Server shutdown: stop reading requests; those in flight finish, then the connection closes. */
    void shutdown() {
        if (transmission && channel instanceof SocketChannel sc) {
            try {
                sc.shutdownInput();
                return;
            } catch (IOException e) {
                // fall through to a hard close
            }
        }
        closeChannel();
    }

    // ---------------------------------------------------------------- handshake

    /** What the handshake does after an option. */
    private enum Next { OPTIONS, TRANSMISSION, END }

    /** Runs option haggling; true when transmission starts, false when the session ends. */
    private boolean handshake() throws IOException {
        writer.write(Replies.greeting());
        OptionDecoder decoder = new OptionDecoder();
        while (true) {
            ClientMessage m = decoder.decode(in);
            if (m == null) {
                readMore();
                continue;
            }
            switch (m) {
                case ClientMessage.ClientFlags f -> {
                    if ((f.flags() & ~Nbd.KNOWN_CLIENT_FLAGS) != 0) {
                        // "the server MUST drop the TCP connection if the client sets an unknown flag"
                        throw new NbdProtocolException("unknown client flags 0x" + Integer.toHexString(f.flags()));
                    }
                    noZeroes = (f.flags() & Nbd.FLAG_C_NO_ZEROES) != 0;
                }
                case ClientMessage.OversizedOption o -> {
                    if (o.option() == Nbd.OPT_EXPORT_NAME) {
                        throw new NbdProtocolException("NBD_OPT_EXPORT_NAME of " + o.length()
                                + " bytes cannot name an export and cannot be answered with an error");
                    }
                    writer.write(Replies.optionError(o.option(), Nbd.REP_ERR_TOO_BIG, "option data length ("
                            + o.length() + ") exceeds the allowed maximum (" + Nbd.MAX_OPTION_LENGTH + ")"));
                }
                case ClientMessage.Option o -> {
                    Next next = option(o);
                    if (next != Next.OPTIONS) {
                        return next == Next.TRANSMISSION;
                    }
                }
            }
        }
    }

    /** Answers one option and says what comes next. */
    private Next option(ClientMessage.Option o) throws IOException {
        int opt = o.option();
        try {
            switch (opt) {
                case Nbd.OPT_EXPORT_NAME -> {
                    String name = exportNameOf(o);
                    if (!export.matches(name)) {
                        // "If the chosen export does not exist ... the server MUST terminate the session."
                        throw new NbdProtocolException("NBD_OPT_EXPORT_NAME for unknown export '" + name + "'");
                    }
                    writer.write(Replies.exportName(export.size, export.transmissionFlags(structured), noZeroes));
                    return Next.TRANSMISSION;
                }
                case Nbd.OPT_ABORT -> {
                    writer.write(Replies.option(opt, Nbd.REP_ACK, null));
                    return Next.END;
                }
                case Nbd.OPT_LIST -> {
                    requireNoData(o);
                    writer.write(Replies.option(opt, Nbd.REP_SERVER, Replies.server(export.name, export.description)),
                            Replies.option(opt, Nbd.REP_ACK, null));
                }
                case Nbd.OPT_INFO, Nbd.OPT_GO -> {
                    OptionRequests.ExportRequest r = OptionRequests.parseExport(o);
                    requireExport(r.name());
                    List<ByteBuffer> out = new ArrayList<>();
                    out.add(Replies.option(opt, Nbd.REP_INFO,
                            Replies.infoExport(export.size, export.transmissionFlags(structured))));
                    if (r.infoRequests().contains(Nbd.INFO_NAME)) {
                        out.add(Replies.option(opt, Nbd.REP_INFO, Replies.infoString(Nbd.INFO_NAME, export.name)));
                    }
                    if (r.infoRequests().contains(Nbd.INFO_DESCRIPTION) && export.description != null) {
                        out.add(Replies.option(opt, Nbd.REP_INFO,
                                Replies.infoString(Nbd.INFO_DESCRIPTION, export.description)));
                    }
                    // Always sent: our maximum is stricter than the default "unlimited" (proto.md
                    // "Block size constraints": a server with other constraints SHOULD advertise them).
                    out.add(Replies.option(opt, Nbd.REP_INFO,
                            Replies.infoBlockSize(Nbd.MIN_BLOCK, Nbd.PREFERRED_BLOCK, Nbd.MAX_REQUEST)));
                    out.add(Replies.option(opt, Nbd.REP_ACK, null));
                    writer.write(out.toArray(ByteBuffer[]::new));
                    if (opt == Nbd.OPT_GO) {
                        return Next.TRANSMISSION;
                    }
                }
                case Nbd.OPT_STRUCTURED_REPLY -> {
                    requireNoData(o);
                    structured = true;
                    writer.write(Replies.option(opt, Nbd.REP_ACK, null));
                }
                case Nbd.OPT_LIST_META_CONTEXT, Nbd.OPT_SET_META_CONTEXT -> metaContext(o);
                default -> writer.write(Replies.optionError(opt, Nbd.REP_ERR_UNSUP,
                        "option " + opt + " is not supported by this server"));
            }
        } catch (OptionRejected e) {
            writer.write(Replies.optionError(opt, e.replyType(), e.getMessage()));
        }
        return Next.OPTIONS;
    }

    private void metaContext(ClientMessage.Option o) throws IOException, OptionRejected {
        int opt = o.option();
        boolean set = opt == Nbd.OPT_SET_META_CONTEXT;
        if (set) {
            // "replaces all previously-set metadata contexts (including when this command fails)"
            metaAllocation = false;
            if (!structured) {
                throw new OptionRejected(Nbd.REP_ERR_INVALID,
                        "NBD_OPT_SET_META_CONTEXT needs NBD_OPT_STRUCTURED_REPLY first");
            }
        }
        OptionRequests.MetaContextRequest r = OptionRequests.parseMetaContext(o);
        requireExport(r.exportName());
        Set<String> found = new LinkedHashSet<>();
        if (r.queries().isEmpty()) {
            if (!set) {
                found.add(Nbd.BASE_ALLOCATION); // list: everything; set: nothing
            }
        }
        for (String q : r.queries()) {
            if (q.equals(Nbd.BASE_ALLOCATION) || (!set && q.equals("base:"))) {
                found.add(Nbd.BASE_ALLOCATION);
            }
            // Unknown namespaces and leaf names are ignored, as the spec requires.
        }
        List<ByteBuffer> out = new ArrayList<>();
        for (String c : found) {
            out.add(Replies.option(opt, Nbd.REP_META_CONTEXT, Replies.metaContext(set ? Nbd.BASE_ALLOCATION_ID : 0, c)));
        }
        out.add(Replies.option(opt, Nbd.REP_ACK, null));
        writer.write(out.toArray(ByteBuffer[]::new));
        if (set) {
            metaAllocation = !found.isEmpty();
        }
    }

    private void requireExport(String name) throws OptionRejected {
        if (!export.matches(name)) {
            throw new OptionRejected(Nbd.REP_ERR_UNKNOWN, "export '" + name + "' does not exist; this server exports '"
                    + export.name + "'");
        }
    }

    private static void requireNoData(ClientMessage.Option o) throws OptionRejected {
        if (o.length() != 0) {
            throw new OptionRejected(Nbd.REP_ERR_INVALID, "option " + o.option() + " takes no data, got "
                    + o.length() + " bytes");
        }
    }

    private static String exportNameOf(ClientMessage.Option o) throws NbdProtocolException {
        if (o.length() > Nbd.MAX_STRING) {
            throw new NbdProtocolException("export name of " + o.length() + " bytes exceeds " + Nbd.MAX_STRING);
        }
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(o.buffer()).toString();
            if (s.indexOf('\0') >= 0) {
                throw new NbdProtocolException("export name contains NUL");
            }
            return s;
        } catch (CharacterCodingException e) {
            throw new NbdProtocolException("export name is not valid UTF-8");
        }
    }

    /** Reads more input into {@link #in} (which the decoders have drained). */
    private void readMore() throws IOException {
        in.compact();
        try {
            int n = channel.read(in);
            if (n < 0) {
                throw new EOFException("end of stream");
            }
        } finally {
            in.flip();
        }
    }

    // ---------------------------------------------------------------- transmission

    private void transmit() throws IOException {
        RequestDecoder decoder = new RequestDecoder(pool::take);
        try {
            while (true) {
                Incoming m = decoder.decode(in);
                if (m == null) {
                    ByteBuffer sink = decoder.payloadSink();
                    if (sink != null && sink.remaining() >= DIRECT_READ_MIN) {
                        // The input buffer is empty here: read the payload straight into its buffer.
                        if (channel.read(sink) < 0) {
                            throw new EOFException("end of stream inside a write payload");
                        }
                    } else {
                        readMore();
                    }
                    continue;
                }
                switch (m) {
                    case Incoming.SkippedWrite s -> submit(s.request(), null, true);
                    case Incoming.Command c -> {
                        if (c.request().type() == Nbd.CMD_DISC) {
                            // "The server MUST handle all outstanding requests ... and close"
                            drain();
                            return;
                        }
                        submit(c.request(), c.payload(), false);
                    }
                }
            }
        } catch (IOException e) {
            pool.give(decoder.abandon());
            drain();
            if (e instanceof EOFException && decoder.atBoundary() && !in.hasRemaining()) {
                // Input shut down by the server, or the client closed between requests: a quiet end.
                return;
            }
            throw e;
        }
    }

    /** Waits until every request in flight has finished (and released its budget). */
    private void drain() {
        inflight.acquireUninterruptibly(Nbd.MAX_INFLIGHT_BYTES);
        inflight.release(Nbd.MAX_INFLIGHT_BYTES);
    }

    private void submit(Request r, ByteBuffer payload, boolean oversized) {
        int cost = (int) Math.max(Nbd.MIN_INFLIGHT_COST, Math.min(r.length(), Nbd.MAX_REQUEST));
        if (r.type() != Nbd.CMD_READ && r.type() != Nbd.CMD_WRITE) {
            cost = Nbd.MIN_INFLIGHT_COST;
        }
        // Nothing in flight and no further request already read: run it here, on the connection thread,
        // rather than handing it to the pool and back. A client that waits for each reply (queue depth 1)
        // then costs one thread wake-up per request instead of two; the pool is for overlap, and an idle
        // connection has nothing to overlap with. (Requests that arrive meanwhile wait in the socket
        // until this one is answered, as they would behind a busy pool.)
        boolean inline = requests == null
                || (!in.hasRemaining() && inflight.availablePermits() == Nbd.MAX_INFLIGHT_BYTES);
        inflight.acquireUninterruptibly(cost);
        int taken = cost;
        try {
            Runnable task = () -> {
                try {
                    execute(r, payload, oversized);
                } finally {
                    pool.give(payload);
                    inflight.release(taken);
                }
            };
            if (inline) {
                task.run();
            } else {
                requests.execute(task);
            }
        } catch (RuntimeException | Error e) {
            pool.give(payload);
            inflight.release(taken);
            throw e;
        }
    }

    /** Runs one request and sends its reply; a failure to send ends the connection. */
    private void execute(Request r, ByteBuffer payload, boolean oversized) {
        try {
            try {
                if (oversized) {
                    error(r, Nbd.EINVAL, "write of " + r.length() + " bytes exceeds the maximum block size "
                            + Nbd.MAX_REQUEST);
                    return;
                }
                switch (r.type()) {
                    case Nbd.CMD_READ -> read(r);
                    case Nbd.CMD_WRITE -> write(r, payload);
                    case Nbd.CMD_FLUSH -> flush(r);
                    case Nbd.CMD_TRIM -> trim(r);
                    case Nbd.CMD_WRITE_ZEROES -> writeZeroes(r);
                    case Nbd.CMD_BLOCK_STATUS -> blockStatus(r);
                    default -> error(r, Nbd.EINVAL, "unknown command " + r.type());
                }
            } catch (ReplyWriter.PeerGoneException e) {
                throw e;
            } catch (IOException e) {
                // An image I/O error: answer it; the connection goes on.
                LOG.log(Level.WARNING, "nbd connection {0}: {1} failed: {2}", id, r, e.toString());
                error(r, errnoOf(e), r + " failed: " + e.getMessage());
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, "nbd connection " + id + ": " + r + " failed", e);
                error(r, Nbd.EIO, r + " failed: " + e);
            }
        } catch (IOException e) {
            // The reply could not be sent: the client is gone or the stream is broken. End the connection.
            LOG.log(Level.DEBUG, "nbd connection {0}: cannot reply to {1}: {2}", id, r, e.toString());
            closeChannel();
        }
    }

    /** Maps an I/O failure to an NBD error: out-of-space conditions to ENOSPC (as the spec asks), else EIO. */
    static int errnoOf(IOException e) {
        String m = String.valueOf(e.getMessage());
        if (m.contains("No space left") || m.contains("Disk quota exceeded") || m.contains("File too large")
                || m.contains("file is full")) {
            return Nbd.ENOSPC;
        }
        return Nbd.EIO;
    }

    /** Returns false after answering EINVAL when {@code r} carries a flag not valid for it. */
    private boolean flagsOk(Request r, int allowed) throws IOException {
        if ((r.flags() & ~allowed) != 0) {
            error(r, Nbd.EINVAL, "flags 0x" + Integer.toHexString(r.flags() & ~allowed) + " are not valid for "
                    + Nbd.commandName(r.type()));
            return false;
        }
        return true;
    }

    private void error(Request r, int errno, String message) throws IOException {
        if (structured) {
            writer.write(Replies.errorChunk(r.handle(), errno, message));
        } else {
            writer.write(new Replies.SimpleReply(errno, r.handle()).encode());
        }
    }

    private void ok(Request r) throws IOException {
        writer.write(new Replies.SimpleReply(0, r.handle()).encode());
    }

    private void read(Request r) throws IOException {
        int allowed = Nbd.CMD_FLAG_FUA | (structured ? Nbd.CMD_FLAG_DF : 0);
        if (!flagsOk(r, allowed)) {
            return;
        }
        if (r.length() > Nbd.MAX_REQUEST) {
            error(r, Nbd.EINVAL, "read of " + r.length() + " bytes exceeds the maximum block size " + Nbd.MAX_REQUEST);
            return;
        }
        if (r.beyond(export.size)) {
            error(r, Nbd.EINVAL, "read of " + r.length() + " bytes at " + Long.toUnsignedString(r.offset())
                    + " is beyond the end of the export (" + export.size + " bytes)");
            return;
        }
        int len = (int) r.length();
        long start = r.offset();
        long end = start + len;
        if (!structured) {
            ByteBuffer buf = pool.take(len);
            try {
                export.device.read(start, buf);
                buf.flip();
                writer.write(new Replies.SimpleReply(0, r.handle()).encode(), buf);
            } finally {
                pool.give(buf);
            }
            return;
        }
        if (len == 0) {
            writer.write(Replies.noneChunk(r.handle()));
            return;
        }
        // Structured: holes as OFFSET_HOLE chunks (no data read or sent), data as OFFSET_DATA chunks
        // gathered straight from the read buffer. With DF, one chunk for the whole range.
        List<Run> runs;
        if (r.has(Nbd.CMD_FLAG_DF)) {
            boolean hole = export.isHole(start) && export.runEnd(start, end, true) == end;
            runs = List.of(new Run(start, len, hole));
        } else {
            runs = runs(start, end, Integer.MAX_VALUE);
        }
        ByteBuffer buf = pool.take(len);
        try {
            List<ByteBuffer> out = new ArrayList<>(runs.size() * 2);
            for (int i = 0; i < runs.size(); i++) {
                Run run = runs.get(i);
                int flags = i == runs.size() - 1 ? Nbd.REPLY_FLAG_DONE : 0;
                if (run.hole()) {
                    ByteBuffer h = ByteBuffer.allocate(Nbd.CHUNK_HEADER_SIZE + 12);
                    new Replies.ChunkHeader(flags, Nbd.REPLY_TYPE_OFFSET_HOLE, r.handle(), 12).encode(h);
                    out.add(h.putLong(run.offset()).putInt((int) run.length()).flip());
                } else {
                    ByteBuffer data = buf.slice((int) (run.offset() - start), (int) run.length());
                    export.device.read(run.offset(), data.duplicate());
                    ByteBuffer h = ByteBuffer.allocate(Nbd.CHUNK_HEADER_SIZE + 8);
                    new Replies.ChunkHeader(flags, Nbd.REPLY_TYPE_OFFSET_DATA, r.handle(), 8 + run.length()).encode(h);
                    out.add(h.putLong(run.offset()).flip());
                    out.add(data);
                }
            }
            writer.write(out.toArray(ByteBuffer[]::new));
        } finally {
            pool.give(buf);
        }
    }

    private boolean writable(Request r) throws IOException {
        if (export.readOnly) {
            error(r, Nbd.EPERM, "the export is read-only");
            return false;
        }
        return true;
    }

    private void write(Request r, ByteBuffer payload) throws IOException {
        if (!flagsOk(r, Nbd.CMD_FLAG_FUA) || !writable(r)) {
            return;
        }
        if (r.beyond(export.size)) {
            error(r, Nbd.ENOSPC, "write of " + r.length() + " bytes at " + Long.toUnsignedString(r.offset())
                    + " is beyond the end of the export (" + export.size + " bytes)");
            return;
        }
        export.device.write(r.offset(), payload);
        if (r.has(Nbd.CMD_FLAG_FUA)) {
            export.device.flush();
        }
        ok(r);
    }

    private void flush(Request r) throws IOException {
        if (!flagsOk(r, Nbd.CMD_FLAG_FUA)) {
            return;
        }
        if (r.offset() != 0 || r.length() != 0) {
            error(r, Nbd.EINVAL, "NBD_CMD_FLUSH must have offset and length zero");
            return;
        }
        if (!export.readOnly) {
            export.device.flush();
        }
        ok(r);
    }

    /**
     * TRIM is a hint (proto.md: the server "MAY round offset up and length down"): whole clusters that the
     * top delta holds are discarded; partial clusters and clusters only lower deltas hold are left alone.
     */
    private void trim(Request r) throws IOException {
        if (!flagsOk(r, Nbd.CMD_FLAG_FUA) || !writable(r)) {
            return;
        }
        if (r.beyond(export.size)) {
            error(r, Nbd.EINVAL, "trim of " + r.length() + " bytes at " + Long.toUnsignedString(r.offset())
                    + " is beyond the end of the export (" + export.size + " bytes)");
            return;
        }
        Image img = export.image;
        if (img != null) {
            long cb = img.clusterBytes();
            long first = Math.ceilDiv(r.offset(), cb);
            long last = (r.offset() + r.length()) / cb; // exclusive
            int top = img.depth() - 1;
            for (long c = first; c < last; c++) {
                if (img.layerOf(c) == top) {
                    img.discard(c * cb, cb);
                }
            }
            if (r.has(Nbd.CMD_FLAG_FUA)) {
                img.flush();
            }
        }
        ok(r);
    }

    /**
     * WRITE_ZEROES: by default through {@link Image#discard} (clusters only the top delta holds become
     * holes again, everything else is overwritten with zeros); with NO_HOLE the range is written with
     * zeros so it stays allocated, as the flag demands.
     *
     * <p>Lengths above the advertised maximum block size are served, not refused with the EINVAL the spec
     * suggests (a SHOULD): the request carries no payload, so nothing is buffered, and the Linux nbd
     * driver sends write-zeroes far larger than 32 MiB (it does not apply the block size limit to them).
     * qemu-nbd is just as lenient here.
     */
    private void writeZeroes(Request r) throws IOException {
        if (!flagsOk(r, Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_NO_HOLE) || !writable(r)) {
            return;
        }
        if (r.beyond(export.size)) {
            error(r, Nbd.ENOSPC, "write zeroes of " + r.length() + " bytes at " + Long.toUnsignedString(r.offset())
                    + " is beyond the end of the export (" + export.size + " bytes)");
            return;
        }
        if (export.image != null && !r.has(Nbd.CMD_FLAG_NO_HOLE)) {
            export.image.discard(r.offset(), r.length());
        } else {
            long off = r.offset();
            long end = off + r.length();
            while (off < end) {
                int n = (int) Math.min(end - off, ZEROS.capacity());
                export.device.write(off, ZEROS.slice(0, n));
                off += n;
            }
        }
        if (r.has(Nbd.CMD_FLAG_FUA)) {
            export.device.flush();
        }
        ok(r);
    }

    /** A stretch of the export that is a hole throughout, or data throughout. */
    private record Run(long offset, long length, boolean hole) {}

    /** Splits [start, end) into alternating hole/data runs, at most {@code max} of them (the last may stop early). */
    private List<Run> runs(long start, long end, int max) {
        List<Run> out = new ArrayList<>();
        for (long off = start; off < end && out.size() < max;) {
            boolean hole = export.isHole(off);
            long e = export.runEnd(off, end, hole);
            out.add(new Run(off, e - off, hole));
            off = e;
        }
        return out;
    }

    /** base:allocation: clusters no layer maps are HOLE|ZERO, everything else 0 (allocated, contents unknown). */
    private void blockStatus(Request r) throws IOException {
        if (!flagsOk(r, Nbd.CMD_FLAG_FUA | Nbd.CMD_FLAG_REQ_ONE)) {
            return;
        }
        if (!structured || !metaAllocation) {
            error(r, Nbd.EINVAL, "NBD_CMD_BLOCK_STATUS needs the base:allocation context selected during the handshake");
            return;
        }
        if (r.length() == 0 || r.beyond(export.size)) {
            error(r, Nbd.EINVAL, "block status of " + r.length() + " bytes at " + Long.toUnsignedString(r.offset())
                    + " is empty or beyond the end of the export (" + export.size + " bytes)");
            return;
        }
        long start = r.offset();
        long end = start + r.length();
        int max = r.has(Nbd.CMD_FLAG_REQ_ONE) ? 1 : Nbd.MAX_EXTENTS;
        List<Run> extents = runs(start, end, max);
        int payload = 4 + 8 * extents.size();
        ByteBuffer b = ByteBuffer.allocate(Nbd.CHUNK_HEADER_SIZE + payload);
        new Replies.ChunkHeader(Nbd.REPLY_FLAG_DONE, Nbd.REPLY_TYPE_BLOCK_STATUS, r.handle(), payload).encode(b);
        b.putInt(Nbd.BASE_ALLOCATION_ID);
        for (Run e : extents) {
            // length ≤ the request's u32 length, so the cast is exact
            b.putInt((int) e.length()).putInt(e.hole() ? Nbd.STATE_HOLE | Nbd.STATE_ZERO : 0);
        }
        writer.write(b.flip());
    }
}
