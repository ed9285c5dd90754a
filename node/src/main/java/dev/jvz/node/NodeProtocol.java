package dev.jvz.node;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * The control protocol between the CLI and the node: one JSON object per line each way, a request
 * then its response, over the node's Unix socket. Records map one-to-one to the JSON. A {@code copy}
 * request with {@code progress} true gets {@link Event} lines ({@code {"progress":{...}}}, at most 5 a
 * second) before its response; a line with a {@code progress} member is never a response.
 */
final class NodeProtocol {
    private NodeProtocol() {}

    /** A request line is at most this long; a peer that sends more is cut off (paths are short). */
    static final int MAX_LINE = 64 * 1024;

    static final ObjectMapper JSON = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .configure(SerializationFeature.INDENT_OUTPUT, false)
            .setSerializationInclusion(JsonInclude.Include.NON_NULL);

    /**
     * @param op status, list, mount, umount, snapshot, snapshot-list, snapshot-merge, snapshot-delete, grow, copy, shutdown
     * @param copy what a {@code copy} does (null for every other op)
     * @param progress a {@code copy}: stream {@link Event} lines while it runs
     */
    record Request(String op, String descriptor, String mountPoint, Boolean readOnly, String guid, Long size,
            Boolean force, CopySpec copy, Boolean progress) {
        static Request of(String op) {
            return new Request(op, null, null, null, null, null, null, null, null);
        }

        Request(String op, String descriptor, String mountPoint, Boolean readOnly, String guid, Long size,
                Boolean force, CopySpec copy) {
            this(op, descriptor, mountPoint, readOnly, guid, size, force, copy, null);
        }

        Request(String op, String descriptor, String mountPoint, Boolean readOnly, String guid, Long size,
                Boolean force) {
            this(op, descriptor, mountPoint, readOnly, guid, size, force, null);
        }
    }

    /** A line sent before the response of a long request: where a copy is. */
    record Event(dev.jvz.copy.LiveCopy.Progress progress) {}

    /** {@code ok} with a result, or not ok with an error kind and message. */
    record Response(boolean ok, JsonNode result, String kind, String error) {
        static Response success(Object result) {
            return new Response(true, JSON.valueToTree(result), null, null);
        }

        static Response failure(NodeException e) {
            return new Response(false, null, e.kind().name(), e.getMessage());
        }
    }
}
