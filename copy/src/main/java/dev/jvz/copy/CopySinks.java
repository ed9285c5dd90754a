package dev.jvz.copy;

import java.io.IOException;

/**
 * Opens a stream sink with protocol negotiation: jvz first; if the receiver does not acknowledge the
 * hello ({@link HelloRejectedException}: it closed the stream, or answered {@code FAILURE\n}), the
 * stream is closed and a fresh one from the connector carries the legacy protocol. Stateless.
 */
public final class CopySinks {
    private CopySinks() {}

    /** Makes a fresh transport each call (a new TCP connection, a newly spawned receiver, ...). */
    @FunctionalInterface
    public interface Connector {
        Transports.Duplex connect() throws IOException;
    }

    public static CopySink open(Connector connector, JvzOptions options) throws IOException {
        Transports.Duplex d = connector.connect();
        try {
            return JvzStreamSink.open(d.out(), d.in(), options);
        } catch (HelloRejectedException e) {
            closeQuietly(d, e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(d, e);
            throw e;
        }
        Transports.Duplex legacy = connector.connect();
        return new LegacyStreamSink(legacy.out(), legacy.in(), options.bwlimitBytesPerSecond());
    }

    private static void closeQuietly(Transports.Duplex d, Exception primary) {
        try {
            d.close();
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
