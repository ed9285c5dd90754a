package dev.jvz.copy;

import java.io.EOFException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Overlaps reading and sending within one pass: a reader thread fills blocks (direct buffers holding
 * one or more file extents) while the calling thread sends the previous ones, so a block costs
 * max(read, send) instead of the sum (ploop's pcopy does the same with two buffers and a sender
 * thread). The queue between them is bounded by the {@link #DEPTH} blocks that exist: a slow sink
 * stops the reader, a slow disk stops the sender.
 *
 * <p>A failure on either side stops both: a read failure is handed to the sender, which throws it as
 * {@link ReadFailure}; a send failure sets a cancel flag that the reader polls (it is never
 * interrupted: an interrupt would close the channel it reads). {@link #run} returns only after the
 * reader thread has ended.
 *
 * <p>Thread-safety: one {@link #run} at a time. A block is owned by one thread at a time, handed over
 * through the queues (which also publish its contents).
 */
final class PassPipeline {
    /** Blocks in flight: one being read, one being sent, one spare so neither side waits on a hand-over. */
    static final int DEPTH = 3;
    /** How often a reader waiting for a free block checks the cancel flag. */
    private static final long POLL_MILLIS = 20;

    /** Fills a block with the next extents of the pass; runs on the reader thread. */
    @FunctionalInterface
    interface Producer {
        /**
         * Adds extents to {@code b} (possibly none); returns false when the pass has nothing more.
         * Whatever {@code b} holds is sent either way.
         */
        boolean fill(Block b) throws Exception;
    }

    /** Sends one extent; runs on the calling thread. */
    @FunctionalInterface
    interface Consumer {
        void send(long pos, ByteBuffer data) throws IOException;
    }

    /** A read (or tracker) failure on the reader thread, carried to the caller as the cause. */
    static final class ReadFailure extends Exception {
        ReadFailure(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** A buffer holding extents read from the file, packed one after another. */
    static final class Block {
        final ByteBuffer buf;
        long[] pos = new long[8];
        int[] off = new int[8];
        int[] len = new int[8];
        int count;

        Block(int bytes) {
            buf = ByteBuffer.allocateDirect(bytes);
        }

        void reset() {
            buf.clear();
            count = 0;
        }

        int free() {
            return buf.remaining();
        }

        /**
         * Reads {@code [pos, pos + n)} of {@code src} into the block. With {@code eofOk}, a file that
         * ends earlier gives a shorter extent; without it, that is an error.
         */
        void read(FileSource src, long pos, int n, boolean eofOk) throws IOException {
            if (n > buf.remaining()) {
                throw new IllegalArgumentException("extent of " + n + " bytes does not fit the " + buf.remaining()
                        + " bytes left in the block");
            }
            int start = buf.position();
            ByteBuffer dst = buf.slice(start, n);
            while (dst.hasRemaining()) {
                if (src.read(dst, pos + dst.position()) < 0) {
                    break;
                }
            }
            int got = dst.position();
            if (got < n && !eofOk) {
                throw new EOFException("the image file ended at " + (pos + got) + ", inside the dirty extent ["
                        + pos + ", +" + n + ") (was it truncated while being copied?)");
            }
            if (got == 0) {
                return;
            }
            if (count == this.pos.length) {
                this.pos = Arrays.copyOf(this.pos, count * 2);
                off = Arrays.copyOf(off, count * 2);
                len = Arrays.copyOf(len, count * 2);
            }
            this.pos[count] = pos;
            off[count] = start;
            len[count] = got;
            count++;
            buf.position(start + got);
        }
    }

    private static final Block END = new Block(0);
    private final List<Block> blocks = new ArrayList<>();

    PassPipeline(int blockBytes) {
        for (int i = 0; i < DEPTH; i++) {
            blocks.add(new Block(blockBytes));
        }
    }

    /**
     * Runs one pass: {@code producer} on a reader thread, {@code consumer} on this one, extents in the
     * order produced. Returns the bytes sent.
     *
     * @throws ReadFailure if the producer failed (its exception is the cause)
     * @throws IOException if the consumer failed (thrown as is), or this thread was interrupted
     */
    long run(Producer producer, Consumer consumer) throws IOException, ReadFailure {
        BlockingQueue<Block> free = new ArrayBlockingQueue<>(DEPTH, false, blocks);
        // Room for every block plus END: the reader never blocks on it.
        BlockingQueue<Block> full = new ArrayBlockingQueue<>(DEPTH + 1);
        var cancelled = new java.util.concurrent.atomic.AtomicBoolean();
        Throwable[] readFailure = new Throwable[1]; // written before END is queued, read after taking it
        Thread reader = Thread.ofPlatform().name("jvz-copy-reader").daemon(true).start(() -> {
            try {
                boolean more = true;
                while (more && !cancelled.get()) {
                    Block b = free.poll(POLL_MILLIS, TimeUnit.MILLISECONDS);
                    if (b == null) {
                        continue;
                    }
                    b.reset();
                    more = producer.fill(b);
                    if (b.count > 0) {
                        full.add(b);
                    } else {
                        free.add(b);
                    }
                }
            } catch (Throwable t) {
                readFailure[0] = t;
            } finally {
                full.add(END);
            }
        });
        long sent = 0;
        boolean ok = false;
        try {
            while (true) {
                Block b = full.take();
                if (b == END) {
                    if (readFailure[0] != null) {
                        throw new ReadFailure(readFailure[0]);
                    }
                    break;
                }
                for (int i = 0; i < b.count; i++) {
                    consumer.send(b.pos[i], b.buf.slice(b.off[i], b.len[i]));
                    sent += b.len[i];
                }
                free.add(b);
            }
            ok = true;
            return sent;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("live copy interrupted");
        } finally {
            if (!ok) {
                cancelled.set(true);
            }
            joinUninterruptibly(reader);
        }
    }

    private static void joinUninterruptibly(Thread t) {
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
