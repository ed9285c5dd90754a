package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * An output stream that can also take buffers straight to its socket channel: a sink holding a
 * direct block (LiveCopy's pipeline buffers) writes header and block with one gathering write, with
 * no copy in user space (through an OutputStream the block is copied to a heap array, and the JDK
 * copies that again into a direct buffer for the socket).
 */
interface ChannelOutput {
    /**
     * Blocks in one call at most this much: the stall watchdog ({@link StallGuard}) bounds the time
     * of one write call, so a call must not carry more than the stream path would (1 MiB, a jvz block).
     */
    int MAX_CALL = 1 << 20;

    /** Writes all of {@code srcs}, in order, blocking until done. The caller flushes any stream buffer first. */
    void writeFully(ByteBuffer... srcs) throws IOException;

    /** {@code out} as a ChannelOutput when it is one (no throttle or other filter in between), else null. */
    static ChannelOutput of(java.io.OutputStream out) {
        return out instanceof ChannelOutput c ? c : null;
    }
}
