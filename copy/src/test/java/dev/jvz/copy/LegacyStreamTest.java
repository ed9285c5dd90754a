package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;

/** The legacy ploop-copy stream, byte for byte (PLOOP-FORMAT.md section 3), encoder and decoder. */
class LegacyStreamTest {
    static final byte[] SIG = "WithoutFreeSpace".getBytes(StandardCharsets.US_ASCII);

    /** Hand-built from the format notes: header LE {marker 0x4cc0ac3d, u32 size, u64 pos}, payload. */
    static final byte[] GOLDEN = concat(
            // data frame: 16 bytes at pos 0
            bytes(0x3d, 0xac, 0xc0, 0x4c, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), SIG,
            // data frame: 3 bytes "xyz" at pos 0x100000
            bytes(0x3d, 0xac, 0xc0, 0x4c, 0x03, 0, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0), bytes('x', 'y', 'z'),
            // sync request: size 4 at pos 0, payload = the image's first 4 bytes
            bytes(0x3d, 0xac, 0xc0, 0x4c, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), bytes('W', 'i', 't', 'h'),
            // finish(): sync again, then the end frame (size 0)
            bytes(0x3d, 0xac, 0xc0, 0x4c, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), bytes('W', 'i', 't', 'h'),
            bytes(0x3d, 0xac, 0xc0, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));

    @Test
    void sinkEncodesTheGoldenStreamExactly() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        var feedback = new ByteArrayInputStream("SUCCESS\nSUCCESS\n".getBytes(StandardCharsets.US_ASCII));
        LegacyStreamSink sink = new LegacyStreamSink(out, feedback);
        sink.write(0, ByteBuffer.wrap(SIG));
        sink.write(0x100000, ByteBuffer.wrap(new byte[] {'x', 'y', 'z'}));
        sink.sync();
        sink.finish();
        assertThat(out.toByteArray()).isEqualTo(GOLDEN);
        assertThat(sink.finished()).isTrue();
    }

    @Test
    void directBufferIsEncodedLikeAHeapBuffer() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LegacyStreamSink sink = new LegacyStreamSink(out, null);
        ByteBuffer direct = ByteBuffer.allocateDirect(SIG.length).put(SIG).flip();
        sink.write(0, direct);
        sink.finish();
        assertThat(out.toByteArray()).isEqualTo(concat(Arrays.copyOfRange(GOLDEN, 0, 32),
                bytes(0x3d, 0xac, 0xc0, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
    }

    /**
     * ploop's pipes without -f: the live copy still calls sync() before the freeze; with nobody to
     * answer, it only pushes the buffered frames out and sends no sync request.
     */
    @Test
    void withoutFeedbackSyncSendsNoRequestButFlushes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LegacyStreamSink sink = new LegacyStreamSink(out, null);
        sink.write(0, ByteBuffer.wrap(SIG));
        sink.sync();
        assertThat(out.toByteArray()).as("flushed at sync").isEqualTo(Arrays.copyOfRange(GOLDEN, 0, 32));
        sink.finish();
        assertThat(out.toByteArray()).isEqualTo(concat(Arrays.copyOfRange(GOLDEN, 0, 32),
                bytes(0x3d, 0xac, 0xc0, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
    }

    @Test
    void fourByteWriteIsSplitSoItCannotReadAsASync() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        LegacyStreamSink sink = new LegacyStreamSink(out, null);
        sink.write(8, ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
        assertThat(sink.finished()).isFalse();
        sink.finish();
        assertThat(out.toByteArray()).isEqualTo(concat(
                bytes(0x3d, 0xac, 0xc0, 0x4c, 2, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0), bytes(1, 2),
                bytes(0x3d, 0xac, 0xc0, 0x4c, 2, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0), bytes(3, 4),
                bytes(0x3d, 0xac, 0xc0, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)));
    }

    @Test
    void syncFailsOnFailureAnswerAndOnClosedFeedback() throws IOException {
        var sink = new LegacyStreamSink(new ByteArrayOutputStream(),
                new ByteArrayInputStream("FAILURE\n".getBytes(StandardCharsets.US_ASCII)));
        assertThatThrownBy(sink::sync).isInstanceOf(RemoteFailureException.class).hasMessageContaining("FAILURE");
        var sink2 = new LegacyStreamSink(new ByteArrayOutputStream(), new ByteArrayInputStream(new byte[3]));
        assertThatThrownBy(sink2::sync).isInstanceOf(CopyProtocolException.class)
                .hasMessageContaining("closed after 3 of 8 bytes");
        var sink3 = new LegacyStreamSink(new ByteArrayOutputStream(),
                new ByteArrayInputStream("GARBAGE!".getBytes(StandardCharsets.US_ASCII)));
        assertThatThrownBy(sink3::sync).isInstanceOf(CopyProtocolException.class).hasMessageContaining("GARBAGE!");
    }

    // ---- decoder -----------------------------------------------------------------------------

    record Event(String kind, long pos, byte[] data) {
        @Override
        public String toString() {
            return kind + "@" + pos + (data == null ? "" : ":" + new String(data, StandardCharsets.ISO_8859_1));
        }
    }

    /** Collects events, merging consecutive data chunks of one frame so any split compares equal. */
    static final class Recorder implements LegacyDecoder.Handler {
        final List<Event> events = new ArrayList<>();

        @Override
        public void data(long pos, ByteBuffer chunk) {
            byte[] b = new byte[chunk.remaining()];
            chunk.get(b);
            if (!events.isEmpty()) {
                Event last = events.getLast();
                if (last.kind.equals("data") && last.pos + last.data.length == pos) {
                    events.set(events.size() - 1, new Event("data", last.pos, concat(last.data, b)));
                    return;
                }
            }
            events.add(new Event("data", pos, b));
        }

        @Override
        public void sync() {
            events.add(new Event("sync", 0, null));
        }

        @Override
        public void end() {
            events.add(new Event("end", 0, null));
        }

        String summary() {
            return events.toString();
        }
    }

    static final String GOLDEN_EVENTS = "[data@0:WithoutFreeSpace, data@1048576:xyz, sync@0, sync@0, end@0]";

    @Test
    void decodesTheGoldenStream() throws IOException {
        Recorder r = new Recorder();
        LegacyDecoder d = new LegacyDecoder(r);
        d.feed(ByteBuffer.wrap(GOLDEN));
        assertThat(d.state()).isEqualTo(LegacyDecoder.State.DONE);
        assertThat(r.summary()).isEqualTo(GOLDEN_EVENTS);
        d.endOfInput(); // fine after the end frame
    }

    @Test
    void decodesOneByteAtATime() throws IOException {
        Recorder r = new Recorder();
        LegacyDecoder d = new LegacyDecoder(r);
        for (byte b : GOLDEN) {
            d.feed(ByteBuffer.wrap(new byte[] {b}));
        }
        assertThat(r.summary()).isEqualTo(GOLDEN_EVENTS);
    }

    @RepeatedTest(20)
    void decodesRandomSplits(RepetitionInfo info) throws IOException {
        long seed = 0x5eedL * info.getCurrentRepetition();
        Random rnd = new Random(seed);
        Recorder r = new Recorder();
        LegacyDecoder d = new LegacyDecoder(r);
        int i = 0;
        while (i < GOLDEN.length) {
            int n = Math.min(GOLDEN.length - i, 1 + rnd.nextInt(20));
            d.feed(ByteBuffer.wrap(GOLDEN, i, n));
            i += n;
        }
        assertThat(r.summary()).as("seed %d", seed).isEqualTo(GOLDEN_EVENTS);
    }

    @Test
    void anyFourByteFrameIsASyncWhateverItsPositionAsInPloop() throws IOException {
        Recorder r = new Recorder();
        new LegacyDecoder(r).feed(ByteBuffer.wrap(concat(
                bytes(0x3d, 0xac, 0xc0, 0x4c, 4, 0, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0), bytes(9, 9, 9, 9),
                bytes(0x3d, 0xac, 0xc0, 0x4c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0))));
        assertThat(r.summary()).isEqualTo("[sync@0, end@0]");
    }

    @Test
    void truncatedStreamFailsAtEveryCutPoint() throws IOException {
        for (int cut = 0; cut < GOLDEN.length - 1; cut++) {
            LegacyDecoder d = new LegacyDecoder(new Recorder());
            d.feed(ByteBuffer.wrap(GOLDEN, 0, cut));
            int at = cut;
            assertThatThrownBy(d::endOfInput).as("cut at %d", at).isInstanceOf(CopyProtocolException.class)
                    .hasMessageContaining("before the end frame");
            assertThat(d.state()).isEqualTo(LegacyDecoder.State.BAD_STREAM);
        }
    }

    @Test
    void badMarkerFailsAndTheDecoderRefusesMoreInput() throws IOException {
        byte[] bad = GOLDEN.clone();
        bad[32] = 0x3e; // second frame's marker becomes 0x4cc0ac3e (the newer, incompatible variant)
        LegacyDecoder d = new LegacyDecoder(new Recorder());
        assertThatThrownBy(() -> d.feed(ByteBuffer.wrap(bad))).isInstanceOf(CopyProtocolException.class)
                .hasMessageContaining("bad frame marker 0x4cc0ac3e at stream offset 32");
        assertThat(d.state()).isEqualTo(LegacyDecoder.State.BAD_STREAM);
        assertThatThrownBy(() -> d.feed(ByteBuffer.wrap(new byte[1]))).hasMessageContaining("input refused");
    }

    @Test
    void oversizedFrameIsRefusedWithoutAllocating() {
        // size 0x04000001 = 64 MiB + 1
        byte[] big = bytes(0x3d, 0xac, 0xc0, 0x4c, 0x01, 0, 0, 0x04, 0, 0, 0, 0, 0, 0, 0, 0);
        LegacyDecoder d = new LegacyDecoder(new Recorder());
        assertThatThrownBy(() -> d.feed(ByteBuffer.wrap(big))).isInstanceOf(CopyProtocolException.class)
                .hasMessageContaining("frame size (67108865) at stream offset 0 exceeds the allowed maximum (67108864");
        byte[] huge = bytes(0x3d, 0xac, 0xc0, 0x4c, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0);
        assertThatThrownBy(() -> new LegacyDecoder(new Recorder()).feed(ByteBuffer.wrap(huge)))
                .hasMessageContaining("frame size (4294967295)");
    }

    @Test
    void negativePositionIsRefused() {
        byte[] neg = bytes(0x3d, 0xac, 0xc0, 0x4c, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80);
        assertThatThrownBy(() -> new LegacyDecoder(new Recorder()).feed(ByteBuffer.wrap(neg)))
                .isInstanceOf(CopyProtocolException.class).hasMessageContaining("beyond the largest file offset");
        // pos = 2^63 - 1 with 2 bytes would overflow past the largest offset
        byte[] overflow = bytes(0x3d, 0xac, 0xc0, 0x4c, 2, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f);
        assertThatThrownBy(() -> new LegacyDecoder(new Recorder()).feed(ByteBuffer.wrap(overflow)))
                .isInstanceOf(CopyProtocolException.class).hasMessageContaining("beyond the largest file offset");
    }

    @Test
    void largePayloadIsStreamedInChunksOfAtMostChunkSize() throws IOException {
        int size = LegacyFormat.CHUNK_SIZE * 2 + 5;
        ByteBuffer frame = ByteBuffer.allocate(16 + size);
        new LegacyFrameHeader(size, 7).encode(frame);
        frame.position(16 + size).flip();
        int[] maxChunk = {0};
        long[] total = {0};
        LegacyDecoder d = new LegacyDecoder(new LegacyDecoder.Handler() {
            @Override
            public void data(long pos, ByteBuffer chunk) {
                assertThat(pos).isEqualTo(7 + total[0]);
                maxChunk[0] = Math.max(maxChunk[0], chunk.remaining());
                total[0] += chunk.remaining();
            }

            @Override
            public void sync() {}

            @Override
            public void end() {}
        });
        d.feed(frame);
        assertThat(total[0]).isEqualTo(size);
        assertThat(maxChunk[0]).isLessThanOrEqualTo(LegacyFormat.CHUNK_SIZE);
        assertThat(d.state()).isEqualTo(LegacyDecoder.State.READ_HEADER);
    }

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) b[i] = (byte) v[i];
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }
}
