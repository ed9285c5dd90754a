package dev.jvz.copy;

import java.io.FilterInputStream;
import java.io.IOException;
import java.nio.channels.SocketChannel;

/**
 * The input stream of an accepted socket that also exposes the socket's channel, so a
 * {@link Receiver} given this stream can read it straight into direct buffers ({@link ReceiveInput})
 * while every other caller keeps a plain {@link java.io.InputStream}. The stream itself is the
 * socket's own (it keeps {@code SO_TIMEOUT}); it has no buffer, so reading the channel instead skips
 * nothing. Thread-safety: that of the socket's stream.
 */
final class SocketChannelInput extends FilterInputStream {
    private final SocketChannel channel;

    SocketChannelInput(SocketChannel channel) throws IOException {
        super(channel.socket().getInputStream());
        this.channel = channel;
    }

    SocketChannel channel() {
        return channel;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        return in.read(b, off, len); // FilterInputStream's default would go through read(byte[])
    }
}
