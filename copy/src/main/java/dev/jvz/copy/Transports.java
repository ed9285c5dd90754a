package dev.jvz.copy;

import java.io.Closeable;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;

/**
 * Byte streams a copy can run over: a TCP connection ({@code --to HOST:PORT} / {@code --listen
 * ADDR:PORT}), inherited file descriptors, stdin/stdout. A {@link Duplex} is one data direction plus
 * the feedback direction. Stateless helpers; each Duplex belongs to one thread at a time.
 */
public final class Transports {
    private Transports() {}

    /** Data (sender→receiver) and feedback streams of one copy, plus what to close. */
    public record Duplex(InputStream in, OutputStream out, Closeable resource) implements Closeable {
        @Override
        public void close() throws IOException {
            IOException first = null;
            for (Closeable c : new Closeable[] {in, out, resource}) {
                try {
                    if (c != null) c.close();
                } catch (IOException e) {
                    if (first == null) first = e; else first.addSuppressed(e);
                }
            }
            if (first != null) throw first;
        }
    }

    /** HOST:PORT, with [v6]:PORT for IPv6 literals. */
    public static InetSocketAddress parse(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        if (colon <= 0 || colon == hostPort.length() - 1) {
            throw new IllegalArgumentException("address: '" + hostPort + "' (expected: HOST:PORT)");
        }
        String host = hostPort.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        int port;
        try {
            port = Integer.parseInt(hostPort.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("port: '" + hostPort.substring(colon + 1) + "' (expected: 0~65535)", e);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port: " + port + " (expected: 0~65535)");
        }
        return InetSocketAddress.createUnresolved(host, port);
    }

    /**
     * {@code --to HOST:PORT}: connects; the socket carries data out and feedback back. The data
     * stream is a {@link ChannelOutput} (direct blocks go to the socket without a copy).
     */
    public static Duplex connect(String hostPort, Duration timeout) throws IOException {
        InetSocketAddress a = parse(hostPort);
        // A channel's socket: its data stream is a SocketChannelOutput, which the sinks write direct
        // blocks to without a copy (ChannelOutput).
        Socket s = SocketChannel.open().socket();
        try {
            s.setTcpNoDelay(true); // sync requests are tiny and latency-bound
            s.connect(new InetSocketAddress(InetAddress.getByName(a.getHostString()), a.getPort()),
                    (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
            return new Duplex(s.getInputStream(), new SocketChannelOutput(s.getChannel()), s);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot connect to " + hostPort + ": " + e.getMessage()
                    + "; is the receiver listening there?", e);
        }
    }

    /**
     * {@code --listen ADDR:PORT}: binds (port 0 = any free port; see {@link ServerSocket#getLocalPort()}).
     * The server socket is a channel's, so the sockets it accepts have channels too ({@link #accept}).
     */
    public static ServerSocket listen(String addrPort) throws IOException {
        InetSocketAddress a = parse(addrPort);
        ServerSocket ss = ServerSocketChannel.open().socket();
        try {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(InetAddress.getByName(a.getHostString()), a.getPort()), 1);
        } catch (IOException | RuntimeException e) {
            ss.close();
            throw e;
        }
        return ss;
    }

    /**
     * Accepts one sender; fails after {@code timeout} (zero = wait forever). When {@code ss} came from
     * {@link #listen}, the data stream is a {@link SocketChannelInput}: a {@link Receiver} reads it
     * through the socket's channel into direct buffers.
     */
    public static Duplex accept(ServerSocket ss, Duration timeout) throws IOException {
        ss.setSoTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
        try {
            Socket s = ss.accept();
            try {
                s.setTcpNoDelay(true);
                InputStream in = s.getChannel() != null ? new SocketChannelInput(s.getChannel()) : s.getInputStream();
                return new Duplex(in, s.getOutputStream(), s);
            } catch (IOException | RuntimeException e) {
                s.close();
                throw e;
            }
        } catch (SocketTimeoutException e) {
            throw new SocketTimeoutException("no sender connected to " + ss.getLocalSocketAddress() + " within "
                    + timeout);
        }
    }

    /** Receiver on stdin, feedback on stdout (or the sender on stdout/stdin: swap the roles). */
    public static Duplex stdio() {
        return new Duplex(new FileInputStream(FileDescriptor.in), new FileOutputStream(FileDescriptor.out), null);
    }

    /** An inherited descriptor opened through {@code /proc/self/fd/N} (ploop's {@code -i/-o/-f FD}). */
    public static InputStream inputFd(int fd) throws IOException {
        return new FileInputStream("/proc/self/fd/" + checkFd(fd));
    }

    public static OutputStream outputFd(int fd) throws IOException {
        return new FileOutputStream("/proc/self/fd/" + checkFd(fd));
    }

    private static int checkFd(int fd) {
        if (fd < 0) {
            throw new IllegalArgumentException("fd < 0: " + fd);
        }
        return fd;
    }
}
