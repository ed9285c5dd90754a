package dev.jvz.cli.ploop;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CLI's half of a copy the node runs to our descriptors ({@code -o FD -f FD}): waits for the
 * node's relay socket to appear, connects, and pumps bytes both ways, each direction on its own
 * virtual thread: socket → {@code out} (the stream), {@code feedback} → socket (the answers).
 *
 * <p>Thread-safe for its use: start and stop from one thread; the pumps own their streams.
 */
final class Relay {
    /** The node binds the socket right after it gets the request; poll for it this long. */
    private static final long APPEAR_TIMEOUT_NANOS = 60_000_000_000L;

    private final Path socket;
    private final OutputStream out;
    private final InputStream feedback;
    private volatile SocketChannel channel;
    private volatile boolean stopping;
    private Thread connector;

    Relay(Path socket, OutputStream out, InputStream feedback) {
        this.socket = socket;
        this.out = out;
        this.feedback = feedback;
    }

    void start() {
        connector = Thread.ofVirtual().name("jvz-copy-relay").start(this::run);
    }

    private void run() {
        long deadline = System.nanoTime() + APPEAR_TIMEOUT_NANOS;
        SocketChannel c = null;
        while (c == null && !stopping && System.nanoTime() < deadline) {
            if (Files.exists(socket)) {
                try {
                    c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    c.connect(UnixDomainSocketAddress.of(socket));
                } catch (IOException e) {
                    closeQuietly(c);
                    c = null; // bound but not listening yet, or a stale file: try again
                }
            }
            if (c == null) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }
        if (c == null) {
            return; // the node reports that nobody connected
        }
        channel = c;
        SocketChannel ch = c;
        Thread back = null;
        if (feedback != null) {
            back = Thread.ofVirtual().start(() -> {
                try (OutputStream so = Channels.newOutputStream(ch)) {
                    feedback.transferTo(so);
                } catch (IOException e) {
                    // the copy ended or broke; the node reports which
                }
            });
        }
        try (InputStream si = Channels.newInputStream(ch)) {
            si.transferTo(out);
            out.flush();
        } catch (IOException e) {
            // as above: the node's answer says what happened
        } finally {
            closeQuietly(out);
            closeQuietly(feedback);
            if (back != null) {
                back.interrupt();
            }
        }
    }

    /**
     * After the node answered: let the stream pump forward what is still in flight (the node closed
     * its end, so the pump sees the end of the stream), then close everything.
     */
    void stop() throws InterruptedException {
        stopping = true;
        connector.join(30_000);
        closeQuietly(channel);
        closeQuietly(feedback);
        connector.join(10_000);
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // cleanup only
            }
        }
    }
}
