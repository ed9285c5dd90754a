package dev.jvz.nbd;

import java.io.IOException;

/**
 * The peer broke the framing of the protocol (a wrong magic, an impossible header): the byte stream
 * can no longer be parsed, so the only answer the spec leaves is a hard disconnect of that client.
 */
final class NbdProtocolException extends IOException {
    NbdProtocolException(String message) {
        super(message);
    }
}
