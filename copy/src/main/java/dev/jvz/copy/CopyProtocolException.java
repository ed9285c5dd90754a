package dev.jvz.copy;

import java.io.IOException;

/**
 * The copy stream broke its protocol: a bad marker, an oversized or truncated frame, an unexpected
 * reply. The copy cannot continue on this stream; restart it (a kept partial file can be resumed
 * with the jvz protocol).
 */
public class CopyProtocolException extends IOException {
    public CopyProtocolException(String message) {
        super(message);
    }

    public CopyProtocolException(String message, Throwable cause) {
        super(message, cause);
    }
}
