package dev.jvz.nbd;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The data of the options that carry structure, parsed and validated (proto.md "Option types"). A
 * syntax error becomes {@link OptionRejected} with NBD_REP_ERR_INVALID, as the spec asks.
 *
 * <p>Thread-safe: stateless; the records are immutable.
 */
final class OptionRequests {
    private OptionRequests() {}

    /** NBD_OPT_INFO / NBD_OPT_GO: export name and the information types asked for. */
    record ExportRequest(String name, List<Integer> infoRequests) {
        ExportRequest {
            checkString(name, "export name");
            infoRequests = List.copyOf(infoRequests);
            for (int i : infoRequests) {
                if (i < 0 || i > 0xFFFF) {
                    throw new IllegalArgumentException("info request: " + i + " (expected: 0~65535)");
                }
            }
        }
    }

    /** NBD_OPT_LIST_META_CONTEXT / NBD_OPT_SET_META_CONTEXT: export name and queries. */
    record MetaContextRequest(String exportName, List<String> queries) {
        MetaContextRequest {
            checkString(exportName, "export name");
            queries = List.copyOf(queries);
            if (queries.size() > Nbd.MAX_META_QUERIES) {
                throw new IllegalArgumentException("queries: " + queries.size() + " (expected: 0~"
                        + Nbd.MAX_META_QUERIES + ")");
            }
            for (String q : queries) {
                checkString(q, "query");
            }
        }
    }

    /** Data: u32 name length (≤ data length - 6), name, u16 count, count × u16. */
    static ExportRequest parseExport(ClientMessage.Option o) throws OptionRejected {
        ByteBuffer b = o.buffer();
        String name = string(b, u32(b, "name length"), "export name");
        int n = u16(b, "number of information requests");
        if (b.remaining() != 2L * n) {
            throw invalid("option data holds " + b.remaining() + " bytes after the name, but " + n
                    + " information requests need " + 2L * n);
        }
        List<Integer> infos = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            infos.add(Short.toUnsignedInt(b.getShort()));
        }
        return new ExportRequest(name, infos);
    }

    /** Data: u32 name length, name, u32 query count, count × (u32 length, query). */
    static MetaContextRequest parseMetaContext(ClientMessage.Option o) throws OptionRejected {
        ByteBuffer b = o.buffer();
        String name = string(b, u32(b, "name length"), "export name");
        long count = u32(b, "number of queries");
        if (count > Nbd.MAX_META_QUERIES) {
            throw new OptionRejected(Nbd.REP_ERR_TOO_BIG, "number of queries (" + count
                    + ") exceeds the allowed maximum (" + Nbd.MAX_META_QUERIES + ")");
        }
        List<String> queries = new ArrayList<>();
        for (long i = 0; i < count; i++) {
            String q = string(b, u32(b, "query length"), "query");
            if (q.indexOf(':') <= 0) {
                throw invalid("query '" + q + "' does not start with a namespace and a colon");
            }
            queries.add(q);
        }
        if (b.hasRemaining()) {
            throw invalid(b.remaining() + " bytes follow the last query");
        }
        return new MetaContextRequest(name, queries);
    }

    private static long u32(ByteBuffer b, String what) throws OptionRejected {
        if (b.remaining() < 4) {
            throw invalid("option data ends before the " + what);
        }
        return Integer.toUnsignedLong(b.getInt());
    }

    private static int u16(ByteBuffer b, String what) throws OptionRejected {
        if (b.remaining() < 2) {
            throw invalid("option data ends before the " + what);
        }
        return Short.toUnsignedInt(b.getShort());
    }

    private static String string(ByteBuffer b, long length, String what) throws OptionRejected {
        if (length > Nbd.MAX_STRING) {
            throw invalid(what + " length (" + length + ") exceeds the allowed maximum (" + Nbd.MAX_STRING + ")");
        }
        if (length > b.remaining()) {
            throw invalid(what + " length (" + length + ") exceeds the " + b.remaining() + " bytes left in the option");
        }
        ByteBuffer s = b.slice(b.position(), (int) length);
        b.position(b.position() + (int) length);
        try {
            String str = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(s).toString();
            if (str.indexOf('\0') >= 0) {
                throw invalid(what + " contains NUL");
            }
            return str;
        } catch (CharacterCodingException e) {
            throw invalid(what + " is not valid UTF-8");
        }
    }

    private static OptionRejected invalid(String message) {
        return new OptionRejected(Nbd.REP_ERR_INVALID, message);
    }

    /** Strings of the protocol: UTF-8, no NUL, at most 4096 bytes (proto.md "Conventions"). */
    static void checkString(String s, String what) {
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " contains NUL");
        }
        int bytes = s.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Nbd.MAX_STRING) {
            throw new IllegalArgumentException(what + " length (" + bytes + ") exceeds the allowed maximum ("
                    + Nbd.MAX_STRING + ")");
        }
    }
}
