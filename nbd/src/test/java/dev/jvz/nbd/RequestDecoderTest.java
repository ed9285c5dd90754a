package dev.jvz.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RequestDecoderTest {
    private final BufferPool pool = new BufferPool();

    private static byte[] stream(Random r, List<Request> requests, List<byte[]> payloads) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long handle = 1;
        int[] types = {Nbd.CMD_READ, Nbd.CMD_WRITE, Nbd.CMD_FLUSH, Nbd.CMD_TRIM, Nbd.CMD_BLOCK_STATUS, 99};
        for (int i = 0; i < 40; i++) {
            int type = types[r.nextInt(types.length)];
            int len = r.nextInt(3) == 0 ? 0 : r.nextInt(70_000);
            Request q = new Request(r.nextInt(16), type, handle++, r.nextLong() & Long.MAX_VALUE, len);
            requests.add(q);
            out.writeBytes(q.encode().array());
            if (q.hasPayload()) {
                byte[] p = new byte[len];
                r.nextBytes(p);
                payloads.add(p);
                out.writeBytes(p);
            } else {
                payloads.add(null);
            }
        }
        return out.toByteArray();
    }

    private List<Incoming> feed(RequestDecoder d, byte[] s, Random split, boolean useSink) throws Exception {
        List<Incoming> out = new ArrayList<>();
        int pos = 0;
        ByteBuffer in = ByteBuffer.allocate(0);
        while (true) {
            Incoming m = d.decode(in);
            if (m != null) {
                out.add(m);
                continue;
            }
            if (pos == s.length) {
                return out;
            }
            int n = Math.min(s.length - pos, split == null ? 1 : 1 + split.nextInt(9000));
            ByteBuffer sink = d.payloadSink();
            if (useSink && sink != null) {
                n = Math.min(n, sink.remaining());
                sink.put(s, pos, n); // as if read from the socket straight into the payload
                in = ByteBuffer.allocate(0);
            } else {
                in = ByteBuffer.wrap(s, pos, n).slice();
            }
            pos += n;
        }
    }

    private static void assertSame(List<Incoming> got, List<Request> requests, List<byte[]> payloads) {
        assertThat(got).hasSize(requests.size());
        for (int i = 0; i < got.size(); i++) {
            Incoming.Command c = (Incoming.Command) got.get(i);
            assertThat(c.request()).isEqualTo(requests.get(i));
            if (payloads.get(i) == null) {
                assertThat(c.payload()).isNull();
            } else {
                byte[] p = new byte[c.payload().remaining()];
                c.payload().duplicate().get(p);
                assertThat(p).isEqualTo(payloads.get(i));
            }
        }
    }

    @Test
    void decodesOneByteAtATime() throws Exception {
        List<Request> rq = new ArrayList<>();
        List<byte[]> pl = new ArrayList<>();
        byte[] s = stream(new Random(5), rq, pl);
        assertSame(feed(new RequestDecoder(pool::take), s, null, false), rq, pl);
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 99, 2026})
    void decodesRandomSplitsWithAndWithoutDirectPayloadReads(long seed) throws Exception {
        List<Request> rq = new ArrayList<>();
        List<byte[]> pl = new ArrayList<>();
        byte[] s = stream(new Random(seed), rq, pl);
        assertSame(feed(new RequestDecoder(pool::take), s, new Random(seed), false), rq, pl);
        assertSame(feed(new RequestDecoder(pool::take), s, new Random(seed + 1), true), rq, pl);
    }

    @Test
    void truncatedHeaderAndPayloadWaitForMore() throws Exception {
        RequestDecoder d = new RequestDecoder(pool::take);
        byte[] h = new Request(0, Nbd.CMD_WRITE, 1, 0, 4).encode().array();
        assertThat(d.atBoundary()).isTrue();
        assertThat(d.decode(ByteBuffer.wrap(h, 0, 27))).isNull();
        assertThat(d.state()).isEqualTo(RequestDecoder.State.HEADER);
        assertThat(d.atBoundary()).isFalse();
        assertThat(d.decode(ByteBuffer.wrap(h, 27, 1))).isNull();
        assertThat(d.state()).isEqualTo(RequestDecoder.State.PAYLOAD);
        assertThat(d.payloadSink().remaining()).isEqualTo(4);
        assertThat(d.decode(ByteBuffer.wrap(new byte[] {1, 2, 3}))).isNull();
        Incoming.Command c = (Incoming.Command) d.decode(ByteBuffer.wrap(new byte[] {4, 5}));
        assertThat(c.payload().remaining()).isEqualTo(4);
        assertThat(d.atBoundary()).isTrue();
    }

    @Test
    void wrongMagicFailsTheDecoderForGood() {
        RequestDecoder d = new RequestDecoder(pool::take);
        byte[] h = new Request(0, Nbd.CMD_READ, 1, 0, 4).encode().array();
        h[3] ^= 0x40;
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(h))).isInstanceOf(NbdProtocolException.class)
                .hasMessageContaining("request magic");
        assertThat(d.state()).isEqualTo(RequestDecoder.State.FAILED);
        assertThatThrownBy(() -> d.decode(ByteBuffer.allocate(28))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void oversizedWriteIsSkippedNotBuffered() throws Exception {
        List<Integer> asked = new ArrayList<>();
        RequestDecoder d = new RequestDecoder(n -> {
            asked.add(n);
            return pool.take(n);
        });
        long len = Nbd.MAX_REQUEST + 1L;
        assertThat(d.decode(new Request(0, Nbd.CMD_WRITE, 9, 0, len).encode())).isNull();
        assertThat(d.state()).isEqualTo(RequestDecoder.State.SKIP);
        assertThat(d.payloadSink()).isNull();
        ByteBuffer junk = ByteBuffer.allocate(1 << 20);
        Incoming m = null;
        long fed = 0;
        while (m == null) {
            junk.clear();
            int n = (int) Math.min(junk.capacity(), len - fed);
            junk.limit(n);
            fed += n;
            m = d.decode(junk);
        }
        assertThat(m).isEqualTo(new Incoming.SkippedWrite(new Request(0, Nbd.CMD_WRITE, 9, 0, len)));
        assertThat(asked).isEmpty();
        // Framing is intact: the next request decodes.
        Incoming next = d.decode(new Request(0, Nbd.CMD_FLUSH, 10, 0, 0).encode());
        assertThat(((Incoming.Command) next).request().handle()).isEqualTo(10);
    }

    @Test
    void writeAtTheLimitIsBuffered() throws Exception {
        RequestDecoder d = new RequestDecoder(pool::take);
        assertThat(d.decode(new Request(1, Nbd.CMD_WRITE, 9, 0, Nbd.MAX_REQUEST).encode())).isNull();
        assertThat(d.payloadSink().remaining()).isEqualTo(Nbd.MAX_REQUEST);
    }

    @Test
    void recordsValidate() {
        assertThatThrownBy(() -> new Request(0x10000, 0, 0, 0, 0)).hasMessageContaining("flags");
        assertThatThrownBy(() -> new Request(0, -1, 0, 0, 0)).hasMessageContaining("type");
        assertThatThrownBy(() -> new Request(0, 0, 0, 0, 1L << 32)).hasMessageContaining("length");
        assertThatThrownBy(() -> new Incoming.Command(new Request(0, Nbd.CMD_WRITE, 0, 0, 4), null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Incoming.Command(new Request(0, Nbd.CMD_READ, 0, 0, 4), ByteBuffer.allocate(4)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Incoming.SkippedWrite(new Request(0, Nbd.CMD_WRITE, 0, 0, 4)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new Replies.ChunkHeader(0, 0x10000, 0, 0)).hasMessageContaining("type");
        assertThatThrownBy(() -> new Replies.SimpleReply(-1, 0)).hasMessageContaining("error");
    }

    @Test
    void beyondTreatsOffsetAsUnsigned() {
        assertThat(new Request(0, 0, 0, -512, 512).beyond(1 << 20)).isTrue();
        assertThat(new Request(0, 0, 0, (1 << 20) - 512, 512).beyond(1 << 20)).isFalse();
        assertThat(new Request(0, 0, 0, (1 << 20) - 512, 513).beyond(1 << 20)).isTrue();
        assertThat(new Request(0, 0, 0, 1 << 20, 0).beyond(1 << 20)).isFalse();
    }
}
