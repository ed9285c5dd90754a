package dev.jvz.copy;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;

/**
 * The output stream of a connected socket ({@link Transports#connect}) that is also a
 * {@link ChannelOutput} over the socket's channel. The stream is the socket's own and unbuffered,
 * so stream writes and channel writes go out in call order. Thread-safety: one writer thread.
 */
final class SocketChannelOutput extends FilterOutputStream implements ChannelOutput {
    private final SocketChannel channel;

    SocketChannelOutput(SocketChannel channel) throws IOException {
        super(channel.socket().getOutputStream());
        this.channel = channel;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len); // FilterOutputStream's default writes byte by byte
    }

    @Override
    public void writeFully(ByteBuffer... srcs) throws IOException {
        ByteBuffer last = srcs[srcs.length - 1];
        while (last.hasRemaining() || anyRemaining(srcs)) {
            channel.write(srcs); // blocking mode: returns after writing something
        }
    }

    private static boolean anyRemaining(ByteBuffer[] srcs) {
        for (ByteBuffer b : srcs) {
            if (b.hasRemaining()) {
                return true;
            }
        }
        return false;
    }
}
