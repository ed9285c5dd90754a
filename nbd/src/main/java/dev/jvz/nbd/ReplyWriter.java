package dev.jvz.nbd;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.GatheringByteChannel;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Sends whole replies: every reply (a simple reply with its data, or all chunks of one structured reply)
 * goes out in one gathering write under {@link #lock}, so replies from concurrent requests never
 * interleave on the wire.
 *
 * <p>Thread-safe: {@link #lock} guards the channel's write side.
 */
final class ReplyWriter {
    private final GatheringByteChannel channel;
    private final ReentrantLock lock = new ReentrantLock();

    ReplyWriter(GatheringByteChannel channel) {
        this.channel = channel;
    }

    /** Thrown when a reply cannot be sent: the client is gone or the stream is broken. */
    static final class PeerGoneException extends IOException {
        PeerGoneException(IOException cause) {
            super("cannot send a reply: " + cause.getMessage(), cause);
        }
    }

    /** Writes all of {@code buffers} as one unit. */
    void write(ByteBuffer... buffers) throws PeerGoneException {
        try {
            writeAll(buffers);
        } catch (PeerGoneException e) {
            throw e;
        } catch (IOException e) {
            throw new PeerGoneException(e);
        }
    }

    private void writeAll(ByteBuffer... buffers) throws IOException {
        long remaining = 0;
        for (ByteBuffer b : buffers) {
            remaining += b.remaining();
        }
        lock.lock();
        try {
            while (remaining > 0) {
                long n = channel.write(buffers);
                if (n <= 0 && !channel.isOpen()) {
                    throw new java.nio.channels.ClosedChannelException();
                }
                remaining -= n;
            }
        } finally {
            lock.unlock();
        }
    }
}
