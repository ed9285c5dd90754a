package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Push decoder of the legacy ploop-copy stream: an explicit state machine fed with whatever bytes
 * arrive (one at a time or megabytes at once). Payloads are handed on as slices of the input, so
 * nothing of the announced size is ever allocated.
 *
 * <p>READ_HEADER (16 bytes) → READ_PAYLOAD (size bytes, streamed) or READ_SYNC (4 bytes, ignored)
 * → READ_HEADER ...; a size-0 frame → DONE. Any error → BAD_STREAM, which refuses further input.
 *
 * <p>Not thread-safe: one reader thread feeds it.
 */
final class LegacyDecoder {
    enum State { READ_HEADER, READ_PAYLOAD, READ_SYNC, DONE, BAD_STREAM }

    /** What the decoder found; called on the feeding thread. */
    interface Handler {
        /** {@code chunk} is part of a data frame: write it at image offset {@code pos}. */
        void data(long pos, ByteBuffer chunk) throws IOException;

        void sync() throws IOException;

        void end() throws IOException;
    }

    private final Handler handler;
    private final ByteBuffer header = ByteBuffer.allocate(LegacyFormat.HEADER_SIZE);
    private State state = State.READ_HEADER;
    private long streamOffset; // bytes consumed so far, for messages
    private long framePos;     // image offset of the next payload byte
    private int remaining;     // payload bytes still expected in this frame

    LegacyDecoder(Handler handler) {
        this.handler = handler;
    }

    State state() {
        return state;
    }

    long streamOffset() {
        return streamOffset;
    }

    /** Consumes all of {@code in}; stops early only at the end frame (rest left in {@code in}). */
    void feed(ByteBuffer in) throws IOException {
        try {
            while (in.hasRemaining()) {
                switch (state) {
                    case READ_HEADER -> readHeader(in);
                    case READ_PAYLOAD -> readPayload(in);
                    case READ_SYNC -> readSync(in);
                    case DONE -> {
                        return;
                    }
                    case BAD_STREAM -> throw new CopyProtocolException(
                            "stream already failed at offset " + streamOffset + "; input refused");
                }
            }
        } catch (IOException | RuntimeException e) {
            state = State.BAD_STREAM;
            throw e;
        }
    }

    /** Called at end of input: fails unless the end frame was seen. */
    void endOfInput() throws CopyProtocolException {
        if (state == State.DONE) {
            return;
        }
        State was = state;
        state = State.BAD_STREAM;
        throw new CopyProtocolException("stream ended at offset " + streamOffset + " in state " + was
                + " before the end frame: the sender stopped or the connection broke");
    }

    private void readHeader(ByteBuffer in) throws IOException {
        int n = Math.min(header.remaining(), in.remaining());
        header.put(header.position(), in, in.position(), n);
        header.position(header.position() + n);
        in.position(in.position() + n);
        streamOffset += n;
        if (header.hasRemaining()) {
            return;
        }
        header.flip();
        LegacyFrameHeader h = LegacyFrameHeader.decode(header, streamOffset - LegacyFormat.HEADER_SIZE);
        header.clear();
        if (h.isEnd()) {
            state = State.DONE;
            handler.end();
        } else if (h.isSync()) {
            remaining = LegacyFormat.SYNC_SIZE;
            state = State.READ_SYNC;
        } else {
            framePos = h.pos();
            remaining = h.size();
            state = State.READ_PAYLOAD;
        }
    }

    private void readPayload(ByteBuffer in) throws IOException {
        int n = Math.min(remaining, Math.min(in.remaining(), LegacyFormat.CHUNK_SIZE));
        ByteBuffer chunk = in.slice(in.position(), n);
        in.position(in.position() + n);
        streamOffset += n;
        long pos = framePos;
        framePos += n;
        remaining -= n;
        if (remaining == 0) {
            state = State.READ_HEADER;
        }
        handler.data(pos, chunk);
    }

    private void readSync(ByteBuffer in) throws IOException {
        int n = Math.min(remaining, in.remaining());
        in.position(in.position() + n); // payload ignored, as ploop's receiver does
        streamOffset += n;
        remaining -= n;
        if (remaining == 0) {
            state = State.READ_HEADER;
            handler.sync();
        }
    }
}
