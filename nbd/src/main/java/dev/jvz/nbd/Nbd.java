package dev.jvz.nbd;

/**
 * The NBD protocol's numbers (NetworkBlockDevice/nbd doc/proto.md, "Values"), and this server's limits
 * with the reason for each. All wire integers are big-endian ("network byte order").
 */
final class Nbd {
    private Nbd() {}

    // ---- Handshake (proto.md "Newstyle negotiation", "Fixed newstyle negotiation")
    /** ASCII "NBDMAGIC", the first 8 bytes the server sends. */
    static final long NBDMAGIC = 0x4e42444d41474943L;
    /** ASCII "IHAVEOPT": second server magic, and the magic of every client option. */
    static final long IHAVEOPT = 0x49484156454F5054L;
    /** Magic of every option reply in fixed newstyle. */
    static final long OPTION_REPLY_MAGIC = 0x3e889045565a9L;

    /** Handshake flag bit 0: we speak fixed newstyle. */
    static final int FLAG_FIXED_NEWSTYLE = 1;
    /** Handshake flag bit 1: we can omit the 124 zero bytes after NBD_OPT_EXPORT_NAME. */
    static final int FLAG_NO_ZEROES = 1 << 1;
    /** Client flag bit 0. */
    static final int FLAG_C_FIXED_NEWSTYLE = 1;
    /** Client flag bit 1. */
    static final int FLAG_C_NO_ZEROES = 1 << 1;
    /** Client flags we know; "the server MUST drop the TCP connection if the client sets an unknown flag". */
    static final int KNOWN_CLIENT_FLAGS = FLAG_C_FIXED_NEWSTYLE | FLAG_C_NO_ZEROES;
    /** Reserved zeros after the NBD_OPT_EXPORT_NAME reply unless NO_ZEROES was negotiated. */
    static final int EXPORT_NAME_ZERO_PAD = 124;

    // ---- Options
    static final int OPT_EXPORT_NAME = 1;
    static final int OPT_ABORT = 2;
    static final int OPT_LIST = 3;
    static final int OPT_STARTTLS = 5;
    static final int OPT_INFO = 6;
    static final int OPT_GO = 7;
    static final int OPT_STRUCTURED_REPLY = 8;
    static final int OPT_LIST_META_CONTEXT = 9;
    static final int OPT_SET_META_CONTEXT = 10;

    // ---- Option replies
    static final int REP_ACK = 1;
    static final int REP_SERVER = 2;
    static final int REP_INFO = 3;
    static final int REP_META_CONTEXT = 4;
    /** Error replies have bit 31 set. */
    static final int REP_ERR_UNSUP = 0x80000000 | 1;
    static final int REP_ERR_POLICY = 0x80000000 | 2;
    static final int REP_ERR_INVALID = 0x80000000 | 3;
    static final int REP_ERR_UNKNOWN = 0x80000000 | 6;
    static final int REP_ERR_SHUTDOWN = 0x80000000 | 7;
    static final int REP_ERR_TOO_BIG = 0x80000000 | 9;

    // ---- NBD_REP_INFO types
    static final int INFO_EXPORT = 0;
    static final int INFO_NAME = 1;
    static final int INFO_DESCRIPTION = 2;
    static final int INFO_BLOCK_SIZE = 3;

    // ---- Transmission flags (16 bits)
    static final int FLAG_HAS_FLAGS = 1;
    static final int FLAG_READ_ONLY = 1 << 1;
    static final int FLAG_SEND_FLUSH = 1 << 2;
    static final int FLAG_SEND_FUA = 1 << 3;
    static final int FLAG_SEND_TRIM = 1 << 5;
    static final int FLAG_SEND_WRITE_ZEROES = 1 << 6;
    static final int FLAG_SEND_DF = 1 << 7;
    static final int FLAG_CAN_MULTI_CONN = 1 << 8;

    // ---- Requests
    static final int REQUEST_MAGIC = 0x25609513;
    /** magic(4) + flags(2) + type(2) + handle(8) + offset(8) + length(4). */
    static final int REQUEST_HEADER_SIZE = 28;

    static final int CMD_READ = 0;
    static final int CMD_WRITE = 1;
    static final int CMD_DISC = 2;
    static final int CMD_FLUSH = 3;
    static final int CMD_TRIM = 4;
    static final int CMD_WRITE_ZEROES = 6;
    static final int CMD_BLOCK_STATUS = 7;

    static final int CMD_FLAG_FUA = 1;
    static final int CMD_FLAG_NO_HOLE = 1 << 1;
    static final int CMD_FLAG_DF = 1 << 2;
    static final int CMD_FLAG_REQ_ONE = 1 << 3;

    // ---- Replies
    static final int SIMPLE_REPLY_MAGIC = 0x67446698;
    /** magic(4) + error(4) + handle(8). */
    static final int SIMPLE_REPLY_SIZE = 16;
    static final int STRUCTURED_REPLY_MAGIC = 0x668e33ef;
    /** magic(4) + flags(2) + type(2) + handle(8) + length(4). */
    static final int CHUNK_HEADER_SIZE = 20;

    static final int REPLY_FLAG_DONE = 1;
    static final int REPLY_TYPE_NONE = 0;
    static final int REPLY_TYPE_OFFSET_DATA = 1;
    static final int REPLY_TYPE_OFFSET_HOLE = 2;
    static final int REPLY_TYPE_BLOCK_STATUS = 5;
    static final int REPLY_TYPE_ERROR = (1 << 15) | 1;

    // ---- base:allocation
    static final String BASE_ALLOCATION = "base:allocation";
    /** Our context id for base:allocation; any nonzero value the client treats as opaque. */
    static final int BASE_ALLOCATION_ID = 1;
    static final int STATE_HOLE = 1;
    static final int STATE_ZERO = 1 << 1;

    // ---- Error values (proto.md "Error values")
    static final int EPERM = 1;
    static final int EIO = 5;
    static final int EINVAL = 22;
    static final int ENOSPC = 28;
    static final int EOVERFLOW = 75;
    static final int ESHUTDOWN = 108;

    // ---- This server's limits
    /** Strings (export names, queries, messages) "MUST be no longer than 4096 bytes" (proto.md "Conventions"). */
    static final int MAX_STRING = 4096;
    /**
     * Largest option payload we read: the largest well-formed NBD_OPT_INFO/GO (a 4096-byte name and all
     * 65535 possible info requests: 4 + 4096 + 2 + 2 * 65535). It also covers NBD_OPT_SET_META_CONTEXT
     * with a full name and 31 maximal queries. Longer options are skipped unread and refused with
     * NBD_REP_ERR_TOO_BIG ("the request is too large to process").
     */
    static final int MAX_OPTION_LENGTH = 4 + MAX_STRING + 2 + 2 * 0xFFFF;
    /** Queries per meta-context option; more get NBD_REP_ERR_TOO_BIG, which the spec allows for this case. */
    static final int MAX_META_QUERIES = 32;
    /**
     * Largest READ/WRITE length, advertised as the maximum block size: 2^25, the value the spec says a
     * portable client limits itself to and a server must not treat as a denial of service. It bounds
     * the buffer one request may hold. (TRIM, WRITE_ZEROES and BLOCK_STATUS carry no payload and are
     * bounded by the export size instead; see Connection.writeZeroes.)
     */
    static final int MAX_REQUEST = 1 << 25;
    /** Minimum block size: 1, because the image engine handles any byte range (read-modify-write inside). */
    static final int MIN_BLOCK = 1;
    /**
     * Preferred block size: 4096, the page size. Sub-cluster writes go in place into the top delta; only
     * the first write to a cluster held by a lower delta copies the cluster up, so page-aligned I/O is
     * efficient even though a cluster is larger.
     */
    static final int PREFERRED_BLOCK = 4096;
    /** Block status descriptors per reply; the spec lets a server return fewer than the whole range. */
    static final int MAX_EXTENTS = 1024;
    /**
     * Payload bytes one connection may hold in flight (pipelined requests waiting for disk or socket):
     * two maximal requests; smaller requests count at least {@link #MIN_INFLIGHT_COST} so the number of
     * queued requests stays bounded too (at most 512).
     */
    static final int MAX_INFLIGHT_BYTES = 2 * MAX_REQUEST;
    /** See {@link #MAX_INFLIGHT_BYTES}: 64 MiB / 128 KiB = 512 requests per connection at most. */
    static final int MIN_INFLIGHT_COST = 128 * 1024;
    /**
     * A client must finish option haggling within this time or is disconnected (the spec lets a server
     * hard-disconnect a client it sees as a denial of service). Real clients need milliseconds; a
     * client that connects and stays silent would otherwise hold a thread and its buffers forever.
     */
    static final java.time.Duration HANDSHAKE_TIMEOUT = java.time.Duration.ofSeconds(60);
    /** Socket read buffer per connection: many small requests per read, large payloads bypass it. */
    static final int INPUT_BUFFER = 64 * 1024;

    static String commandName(int type) {
        return switch (type) {
            case CMD_READ -> "READ";
            case CMD_WRITE -> "WRITE";
            case CMD_DISC -> "DISC";
            case CMD_FLUSH -> "FLUSH";
            case CMD_TRIM -> "TRIM";
            case CMD_WRITE_ZEROES -> "WRITE_ZEROES";
            case CMD_BLOCK_STATUS -> "BLOCK_STATUS";
            default -> "command " + type;
        };
    }
}
