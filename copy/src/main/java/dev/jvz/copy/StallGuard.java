package dev.jvz.copy;

import java.io.FilterInputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Bounds how long a sender waits on a stalled receiver over a socket: a read (sync ack, DONE) gets
 * {@code SO_TIMEOUT}; a write call that does not complete within the timeout (the receiver stopped
 * reading, its window stays shut) is ended by a watchdog that closes the socket, since Java has no
 * write timeout. Fed by {@link LiveCopy} (direct buffers) the sinks write at most 1 MiB (jvz, one
 * block; either protocol over a {@link ChannelOutput}) or 64 KiB (legacy over a plain stream) a call, so the timeout must exceed that much data at the slowest
 * bandwidth expected; a caller writing a large heap buffer to a legacy sink makes one call of up to a
 * whole frame.
 * Either way the caller gets a {@link SocketTimeoutException} that says the receiver stalled.
 *
 * <p>Thread-safety: the streams are used by the one sender thread; the watchdog runs on a shared
 * daemon thread and only reads {@link #busySince} and closes the socket.
 */
final class StallGuard {
    /** One daemon thread checks every guarded connection; the checks are tiny. */
    private static final ScheduledExecutorService WATCHDOG = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "jvz-copy-stall-watchdog");
        t.setDaemon(true);
        return t;
    });

    private final Socket socket;
    private final Duration timeout;
    /** nanoTime when the current write started, 0 when no write is in progress. */
    private volatile long busySince;
    private volatile boolean stalled;
    private final ScheduledFuture<?> check;

    private StallGuard(Socket socket, Duration timeout) {
        this.socket = socket;
        this.timeout = timeout;
        long period = Math.max(1, timeout.toMillis() / 4);
        this.check = WATCHDOG.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    /**
     * Guards {@code d} when its resource is a socket and {@code timeout} is positive; else returns it
     * as is. Closing the returned duplex stops the watchdog.
     */
    static Transports.Duplex guard(Transports.Duplex d, Duration timeout) throws SocketException {
        if (!(d.resource() instanceof Socket s) || timeout.isZero() || timeout.isNegative()) {
            return d;
        }
        s.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
        StallGuard g = new StallGuard(s, timeout);
        OutputStream out = d.out() instanceof ChannelOutput c ? g.new ChannelOut(d.out(), c) : g.new Out(d.out());
        return new Transports.Duplex(g.new In(d.in()), out, () -> {
            g.check.cancel(false);
            d.close();
        });
    }

    private void check() {
        long since = busySince;
        if (since != 0 && System.nanoTime() - since > timeout.toNanos()) {
            stalled = true;
            check.cancel(false);
            try {
                socket.close(); // ends the blocked write
            } catch (IOException ignored) {
                // closing is all we can do; the writer reports the stall
            }
        }
    }

    private SocketTimeoutException stall(String what, IOException cause) {
        SocketTimeoutException t = new SocketTimeoutException("the receiver " + what + " for " + timeout
                + ": it is stalled (or the network is); the connection was closed");
        t.initCause(cause);
        return t;
    }

    private class Out extends FilterOutputStream {
        Out(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            busySince = System.nanoTime() | 1; // never 0
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw stalled ? stall("took no data", e) : e;
            } finally {
                busySince = 0;
            }
        }

        @Override
        public void close() throws IOException {
            check.cancel(false);
            super.close();
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                throw stalled ? stall("took no data", e) : e;
            }
        }
    }

    /** {@link Out} over a {@link ChannelOutput}, which stays one: channel writes are timed the same way. */
    private final class ChannelOut extends Out implements ChannelOutput {
        private final ChannelOutput channel;

        ChannelOut(OutputStream out, ChannelOutput channel) {
            super(out);
            this.channel = channel;
        }

        @Override
        public void writeFully(ByteBuffer... srcs) throws IOException {
            busySince = System.nanoTime() | 1; // never 0
            try {
                channel.writeFully(srcs);
            } catch (IOException e) {
                throw stalled ? stall("took no data", e) : e;
            } finally {
                busySince = 0;
            }
        }
    }

    private final class In extends FilterInputStream {
        In(InputStream in) {
            super(in);
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (SocketTimeoutException e) {
                throw stall("sent no answer", e);
            } catch (IOException e) {
                throw stalled ? stall("took no data", e) : e;
            }
        }

        @Override
        public void close() throws IOException {
            check.cancel(false);
            super.close();
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }
    }
}
