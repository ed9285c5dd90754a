package dev.jvz.copy;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;

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

    /**
     * How long a socket transport may take to answer the hello: a receiver on the far side of a
     * WAN plus its resume digests of a kept file (read at disk speed) fit well inside 2 minutes.
     */
    public static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofMinutes(2);

    public static CopySink open(Connector connector, JvzOptions options) throws IOException {
        return open(connector, options, DEFAULT_HELLO_TIMEOUT);
    }

    /**
     * As {@link #open(Connector, JvzOptions)}; when the transport is a socket, no answer to the
     * hello within {@code helloTimeout} fails with {@link SocketTimeoutException} (no fallback: a
     * hung receiver is not a legacy one). Other transports have no timeout.
     */
    public static CopySink open(Connector connector, JvzOptions options, Duration helloTimeout) throws IOException {
        return open(connector, options, helloTimeout, Duration.ZERO);
    }

    /**
     * As {@link #open(Connector, JvzOptions, Duration)}; when the transport is a socket and
     * {@code stallTimeout} is positive, a receiver that takes no data (a write makes no progress) or
     * sends no awaited answer (sync ack, DONE) for that long fails the sink with a
     * {@link SocketTimeoutException} saying it stalled, and the connection is closed. Zero = wait
     * forever. Mind that the jvz DONE comes after the receiver has digested the whole file: allow for
     * that at its disk speed.
     */
    public static CopySink open(Connector connector, JvzOptions options, Duration helloTimeout, Duration stallTimeout)
            throws IOException {
        Transports.Duplex raw = connector.connect();
        Socket socket = raw.resource() instanceof Socket s ? s : null;
        Transports.Duplex d = raw;
        try {
            d = StallGuard.guard(raw, stallTimeout);
            if (socket != null) {
                socket.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, helloTimeout.toMillis())));
            }
            JvzStreamSink sink;
            try {
                sink = JvzStreamSink.open(d.out(), d.in(), options);
            } catch (SocketTimeoutException e) {
                SocketTimeoutException t = new SocketTimeoutException("the receiver did not answer the jvz hello"
                        + " within " + helloTimeout + "; is it running and reading?");
                t.initCause(e);
                throw t;
            }
            if (socket != null) {
                // Without a stall timeout a sync may wait on a slow fdatasync for as long as it takes.
                socket.setSoTimeout(stallTimeout.isNegative() ? 0
                        : (int) Math.min(Integer.MAX_VALUE, stallTimeout.toMillis()));
            }
            return sink;
        } catch (HelloRejectedException e) {
            closeQuietly(d, e);
        } catch (IOException | RuntimeException e) {
            closeQuietly(d, e);
            throw e;
        }
        Transports.Duplex legacy = StallGuard.guard(connector.connect(), stallTimeout);
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
