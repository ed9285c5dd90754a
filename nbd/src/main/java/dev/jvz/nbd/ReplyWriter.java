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
    /**
     * Guarded by {@link #lock}: direct memory that small heap buffers (reply headers) are copied into
     * before the write. The JDK would otherwise copy each heap buffer into a temporary direct buffer on
     * every write, which for virtual threads means a fresh allocation.
     */
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING);
    static final int STAGING = 64 * 1024;

    ReplyWriter(GatheringByteChannel channel) {
        this.channel = channel;
    }

    /** Replaces heap buffers by copies in {@link #staging} while it has room (the data stays direct). */
    private void stage(ByteBuffer[] buffers) {
        staging.clear();
        for (int i = 0; i < buffers.length; i++) {
            ByteBuffer b = buffers[i];
            if (!b.isDirect() && b.remaining() <= staging.remaining()) {
                int at = staging.position();
                staging.put(b.duplicate());
                buffers[i] = staging.slice(at, b.remaining());
                b.position(b.limit());
            }
        }
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
            stage(buffers);
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
