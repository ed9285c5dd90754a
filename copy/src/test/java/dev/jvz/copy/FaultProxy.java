package dev.jvz.copy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

/**
 * A TCP proxy between a copy sender and a receiver that forwards both directions and injects one fault
 * into one connection at a byte offset of its sender→receiver stream: cut (close both directions), flip
 * one byte, stall (stop forwarding both ways until {@link #close()}), or run a hook (e.g. kill the
 * receiver). It can also record the sender→receiver bytes of every connection, so a clean run tells
 * where each frame of the stream is.
 *
 * <p>Socket buffers are kept small (64 KiB) so the sender cannot run far ahead of the fault point.
 *
 * <p>{@link #close()} returns only when the accept and pump threads have ended, so afterwards
 * {@link #fired} and the recordings are final. Without that wait a test could read {@link #fired}
 * while the pump that made the cut had closed the sockets (the copy noticed, failed and the rig closed
 * the proxy) but not yet counted down: "the cut happened: expected 0 but was 1" on a loaded machine.
 *
 * <p>Thread-safety: one accept thread and two pump threads per connection; the fault fires at most once
 * ({@link #fired}); {@link #sockets}, {@link #pumps} and {@link #recorded} are guarded by {@code this}.
 */
final class FaultProxy implements AutoCloseable {
    static final int BUFFER = 64 << 10;
    /** Bound on {@link #close()}'s wait: a pump waits at most 10 s for its other direction, plus room. */
    static final long CLOSE_WAIT_MILLIS = 15_000;

    /** CUT_BACK counts the receiver→sender (feedback) stream instead: it loses an answer. */
    enum Kind { NONE, CUT, FLIP, STALL, HOOK, CUT_BACK }

    /** @param connection 1-based connection the fault applies to; @param offset sender→receiver byte offset */
    record Fault(Kind kind, int connection, long offset) {
        static Fault none() {
            return new Fault(Kind.NONE, 0, -1);
        }
    }

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Fault fault;
    private final boolean record;
    private final List<Socket> sockets = new ArrayList<>();
    private final List<ByteArrayOutputStream> recorded = new ArrayList<>();
    private final List<Thread> pumps = new ArrayList<>();
    private final Thread acceptor;
    /** Counted down when the fault has fired. */
    final CountDownLatch fired = new CountDownLatch(1);
    /** Released by {@link #close()}: ends a stall. */
    private final CountDownLatch released = new CountDownLatch(1);
    private volatile boolean stalled;
    /** Runs on the pump thread when a {@link Kind#HOOK} fault fires, after the bytes before the offset went through. */
    volatile Runnable hook = () -> { };

    FaultProxy(InetSocketAddress target, Fault fault, boolean record) throws IOException {
        this.target = target;
        this.fault = fault;
        this.record = record;
        server = new ServerSocket();
        server.setReceiveBufferSize(BUFFER); // inherited by accepted sockets
        server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        acceptor = Thread.ofPlatform().daemon().name("proxy-accept").start(this::acceptLoop);
    }

    int port() {
        return server.getLocalPort();
    }

    /** The sender→receiver bytes of connection {@code n} (1-based), when recording. */
    synchronized byte[] recorded(int n) {
        return recorded.get(n - 1).toByteArray();
    }

    private void acceptLoop() {
        int n = 0;
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                Socket upstream = new Socket();
                upstream.setSendBufferSize(BUFFER);
                upstream.setTcpNoDelay(true);
                client.setTcpNoDelay(true);
                upstream.connect(target);
                n++;
                ByteArrayOutputStream rec = new ByteArrayOutputStream();
                synchronized (this) {
                    sockets.add(client);
                    sockets.add(upstream);
                    recorded.add(rec);
                }
                int conn = n;
                CountDownLatch backDone = new CountDownLatch(1);
                Thread s2r = Thread.ofPlatform().daemon().name("proxy-s2r-" + conn).start(() -> senderToReceiver(conn,
                        client, upstream, rec, backDone));
                Thread r2s = Thread.ofPlatform().daemon().name("proxy-r2s-" + conn).start(() -> receiverToSender(conn,
                        upstream, client, backDone));
                synchronized (this) {
                    pumps.add(s2r);
                    pumps.add(r2s);
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /**
     * @param backDone counted down when the other direction has passed on everything the receiver sent:
     *     when the receiver goes away, its last words (ERROR, FAILURE) must reach the sender before the
     *     sender's side is closed, as they would without a proxy in between
     */
    private void senderToReceiver(int conn, Socket from, Socket to, ByteArrayOutputStream rec,
            CountDownLatch backDone) {
        byte[] buf = new byte[16 << 10];
        long count = 0;
        boolean armed = fault.kind() != Kind.NONE && fault.kind() != Kind.CUT_BACK && fault.connection() == conn;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int n = in.read(buf);
                if (n < 0) {
                    to.shutdownOutput(); // pass the sender's FIN on
                    return;
                }
                if (record) {
                    synchronized (this) {
                        rec.write(buf, 0, n);
                    }
                }
                if (armed && fault.offset() >= count && fault.offset() < count + n) {
                    armed = false;
                    int k = (int) (fault.offset() - count);
                    switch (fault.kind()) {
                        case CUT -> {
                            out.write(buf, 0, k);
                            out.flush();
                            fired.countDown(); // before the close: once either end notices, it is marked
                            closeBoth(from, to);
                            return;
                        }
                        case FLIP -> {
                            buf[k] ^= (byte) 0x5a;
                            fired.countDown();
                        }
                        case STALL -> {
                            out.write(buf, 0, k);
                            out.flush();
                            stalled = true;
                            fired.countDown();
                            released.await();
                            return;
                        }
                        case HOOK -> {
                            out.write(buf, 0, k);
                            out.flush();
                            hook.run();
                            fired.countDown();
                        }
                        default -> throw new AssertionError(fault);
                    }
                }
                out.write(buf, 0, n);
                count += n;
            }
        } catch (IOException e) {
            try {
                backDone.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
            closeBoth(from, to);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void receiverToSender(int conn, Socket from, Socket to, CountDownLatch backDone) {
        byte[] buf = new byte[16 << 10];
        long count = 0;
        boolean armed = fault.kind() == Kind.CUT_BACK && fault.connection() == conn;
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (true) {
                int n = in.read(buf);
                if (stalled) {
                    released.await();
                    return;
                }
                if (n < 0) {
                    to.shutdownOutput();
                    return;
                }
                if (armed && fault.offset() >= count && fault.offset() < count + n) {
                    out.write(buf, 0, (int) (fault.offset() - count));
                    out.flush();
                    backDone.countDown();
                    fired.countDown(); // before the close, as for CUT
                    closeBoth(from, to);
                    return;
                }
                out.write(buf, 0, n);
                count += n;
            }
        } catch (IOException e) {
            backDone.countDown();
            closeBoth(from, to);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            backDone.countDown();
        }
    }

    private static void closeBoth(Socket a, Socket b) {
        for (Socket s : new Socket[] {a, b}) {
            try {
                s.close();
            } catch (IOException ignored) {
                // already gone
            }
        }
    }

    /**
     * Ends a stall, closes every socket and waits for the accept and pump threads to end (they do once
     * their sockets are closed), so {@link #fired} and {@link #recorded} are final when this returns.
     *
     * @throws IllegalStateException if a proxy thread is still running after {@link #CLOSE_WAIT_MILLIS}
     */
    @Override
    public void close() throws IOException {
        released.countDown();
        server.close();
        long deadline = System.nanoTime() + CLOSE_WAIT_MILLIS * 1_000_000L;
        join(acceptor, deadline); // no pump starts after this
        List<Socket> all;
        List<Thread> threads;
        synchronized (this) {
            all = new ArrayList<>(sockets);
            threads = new ArrayList<>(pumps);
        }
        for (Socket s : all) {
            s.close();
        }
        for (Thread t : threads) {
            join(t, deadline);
        }
    }

    private static void join(Thread t, long deadlineNanos) {
        try {
            long left = Math.max(1, (deadlineNanos - System.nanoTime()) / 1_000_000L);
            if (!t.join(java.time.Duration.ofMillis(left))) {
                throw new IllegalStateException("proxy thread " + t.getName() + " still runs " + CLOSE_WAIT_MILLIS
                        + " ms after close: its fault state is not final");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while closing the proxy", e);
        }
    }
}
