package dev.jvz.nbd;

import java.nio.ByteBuffer;

/**
 * A transmission-phase message framed by {@link RequestDecoder}. Immutable records, except that a
 * Command hands over ownership of its payload buffer to whoever executes it.
 */
sealed interface Incoming {
    /**
     * A request, with its payload for NBD_CMD_WRITE (positioned at 0, {@code length} bytes remaining;
     * owned by the receiver, who returns it to the pool it came from) and null otherwise.
     */
    record Command(Request request, ByteBuffer payload) implements Incoming {
        public Command {
            if (request.hasPayload()) {
                if (payload == null || payload.remaining() != request.length()) {
                    throw new IllegalArgumentException("payload of " + (payload == null ? "null" : payload.remaining())
                            + " bytes for " + request);
                }
            } else if (payload != null) {
                throw new IllegalArgumentException("payload for " + request + ", which has none");
            }
        }
    }

    /** A write whose payload exceeded {@link Nbd#MAX_REQUEST}: skipped unread, to be answered with EINVAL. */
    record SkippedWrite(Request request) implements Incoming {
        public SkippedWrite {
            if (!request.hasPayload() || request.length() <= Nbd.MAX_REQUEST) {
                throw new IllegalArgumentException("not an oversized write: " + request);
            }
        }
    }
}
