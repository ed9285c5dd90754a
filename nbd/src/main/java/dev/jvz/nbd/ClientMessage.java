package dev.jvz.nbd;

import java.nio.ByteBuffer;

/**
 * What the client sends during the handshake, as framed by {@link OptionDecoder}. Immutable records,
 * validated in their constructors.
 */
sealed interface ClientMessage {
    /** The 32-bit client flags that follow the server's greeting. */
    record ClientFlags(int flags) implements ClientMessage {}

    /** One option with its data, at most {@link Nbd#MAX_OPTION_LENGTH} bytes. */
    record Option(int option, byte[] data) implements ClientMessage {
        public Option {
            if (data.length > Nbd.MAX_OPTION_LENGTH) {
                throw new IllegalArgumentException("option data length (" + data.length
                        + ") exceeds the allowed maximum (" + Nbd.MAX_OPTION_LENGTH + ")");
            }
            data = data.clone();
        }

        /** A read-only view of the data, positioned at its start. */
        ByteBuffer buffer() {
            return ByteBuffer.wrap(data).asReadOnlyBuffer();
        }

        int length() {
            return data.length;
        }

        @Override
        public byte[] data() {
            return data.clone();
        }
    }

    /** An option whose announced length exceeded the limit; its data has been skipped unread. */
    record OversizedOption(int option, long length) implements ClientMessage {
        public OversizedOption {
            if (length <= Nbd.MAX_OPTION_LENGTH || length > 0xFFFF_FFFFL) {
                throw new IllegalArgumentException("length: " + length + " (expected: "
                        + (Nbd.MAX_OPTION_LENGTH + 1) + "~4294967295)");
            }
        }
    }
}
