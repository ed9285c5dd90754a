package dev.jvz.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OptionDecoderTest {
    static byte[] option(int opt, byte[] data) {
        return ByteBuffer.allocate(16 + data.length).putLong(Nbd.IHAVEOPT).putInt(opt).putInt(data.length).put(data)
                .array();
    }

    static byte[] concat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) {
            n += p.length;
        }
        ByteBuffer b = ByteBuffer.allocate(n);
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }

    /** Feeds {@code stream} in pieces of the given sizes (cycled); returns messages and what was left unread. */
    static List<Object> feed(OptionDecoder d, byte[] stream, int[] pieces, int stopAfter) throws Exception {
        List<Object> out = new ArrayList<>();
        int pos = 0;
        int i = 0;
        ByteBuffer carry = ByteBuffer.allocate(0);
        while (pos < stream.length || carry.hasRemaining()) {
            int n = Math.min(pieces[i++ % pieces.length], stream.length - pos);
            ByteBuffer in = ByteBuffer.allocate(carry.remaining() + n);
            in.put(carry).put(stream, pos, n).flip();
            pos += n;
            ClientMessage m;
            while ((m = d.decode(in)) != null) {
                out.add(m);
                if (out.size() == stopAfter) {
                    byte[] rest = new byte[in.remaining() + stream.length - pos];
                    in.get(rest, 0, in.remaining());
                    System.arraycopy(stream, pos, rest, rest.length - (stream.length - pos), stream.length - pos);
                    out.add(rest);
                    return out;
                }
            }
            carry = in;
            if (n == 0 && carry.hasRemaining()) {
                break;
            }
        }
        return out;
    }

    private static final byte[] GO = TestClient.exportData("root", Nbd.INFO_NAME, Nbd.INFO_BLOCK_SIZE);
    private static final byte[] TRAILING_REQUEST = new Request(0, Nbd.CMD_READ, 7, 0, 512).encode().array();
    private static final byte[] STREAM = concat(ByteBuffer.allocate(4).putInt(3).array(),
            option(Nbd.OPT_STRUCTURED_REPLY, new byte[0]), option(Nbd.OPT_GO, GO), TRAILING_REQUEST);

    private static void assertDecoded(List<Object> out) {
        assertThat(out).hasSize(4);
        assertThat(out.get(0)).isEqualTo(new ClientMessage.ClientFlags(3));
        ClientMessage.Option sr = (ClientMessage.Option) out.get(1);
        assertThat(sr.option()).isEqualTo(Nbd.OPT_STRUCTURED_REPLY);
        assertThat(sr.length()).isZero();
        ClientMessage.Option go = (ClientMessage.Option) out.get(2);
        assertThat(go.option()).isEqualTo(Nbd.OPT_GO);
        assertThat(go.data()).isEqualTo(GO);
        // The first transmission request after GO is not consumed by the handshake decoder.
        assertThat((byte[]) out.get(3)).isEqualTo(TRAILING_REQUEST);
    }

    @Test
    void decodesWholeStreamAndLeavesTheRest() throws Exception {
        assertDecoded(feed(new OptionDecoder(), STREAM, new int[] {STREAM.length}, 3));
    }

    @Test
    void decodesOneByteAtATime() throws Exception {
        assertDecoded(feed(new OptionDecoder(), STREAM, new int[] {1}, 3));
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 42, 1234})
    void decodesRandomSplits(long seed) throws Exception {
        Random r = new Random(seed);
        int[] pieces = new int[50];
        for (int i = 0; i < pieces.length; i++) {
            pieces[i] = 1 + r.nextInt(20);
        }
        assertThat(feed(new OptionDecoder(), STREAM, pieces, 3)).as("seed %d", seed).hasSize(4);
        assertDecoded(feed(new OptionDecoder(), STREAM, pieces, 3));
    }

    @Test
    void truncatedInputWaitsForMore() throws Exception {
        OptionDecoder d = new OptionDecoder();
        assertThat(d.decode(ByteBuffer.wrap(new byte[] {0, 0}))).isNull();
        assertThat(d.state()).isEqualTo(OptionDecoder.State.CLIENT_FLAGS);
        assertThat(d.decode(ByteBuffer.wrap(new byte[] {0, 1}))).isEqualTo(new ClientMessage.ClientFlags(1));
        byte[] opt = option(Nbd.OPT_GO, GO);
        assertThat(d.decode(ByteBuffer.wrap(opt, 0, 10))).isNull();
        assertThat(d.state()).isEqualTo(OptionDecoder.State.OPTION_HEADER);
        assertThat(d.decode(ByteBuffer.wrap(opt, 10, 10))).isNull();
        assertThat(d.state()).isEqualTo(OptionDecoder.State.OPTION_DATA);
        ClientMessage m = d.decode(ByteBuffer.wrap(opt, 20, opt.length - 20));
        assertThat(((ClientMessage.Option) m).data()).isEqualTo(GO);
    }

    @Test
    void wrongMagicFailsTheDecoderForGood() throws Exception {
        OptionDecoder d = new OptionDecoder();
        d.decode(ByteBuffer.allocate(4));
        byte[] bad = option(Nbd.OPT_GO, GO);
        bad[0] ^= 1;
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(bad))).isInstanceOf(NbdProtocolException.class)
                .hasMessageContaining("option magic");
        assertThat(d.state()).isEqualTo(OptionDecoder.State.FAILED);
        assertThatThrownBy(() -> d.decode(ByteBuffer.wrap(option(1, new byte[0]))))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void oversizedOptionIsSkippedWithoutBuffering() throws Exception {
        OptionDecoder d = new OptionDecoder();
        d.decode(ByteBuffer.allocate(4));
        long announced = 0xFFFF_FFFFL;
        ByteBuffer h = ByteBuffer.allocate(16).putLong(Nbd.IHAVEOPT).putInt(Nbd.OPT_INFO).putInt((int) announced).flip();
        assertThat(d.decode(h)).isNull();
        assertThat(d.state()).isEqualTo(OptionDecoder.State.SKIP_DATA);
        ByteBuffer chunk = ByteBuffer.allocate(1 << 20);
        long left = announced;
        while (left > chunk.capacity()) {
            chunk.clear();
            assertThat(d.decode(chunk)).isNull();
            left -= chunk.capacity();
        }
        chunk = ByteBuffer.allocate((int) left + 16);
        ClientMessage m = d.decode(chunk);
        assertThat(m).isEqualTo(new ClientMessage.OversizedOption(Nbd.OPT_INFO, announced));
        assertThat(chunk.remaining()).isEqualTo(16); // the next option's header is left alone
        assertThat(d.state()).isEqualTo(OptionDecoder.State.OPTION_HEADER);
    }

    @Test
    void optionAtTheLimitIsAccepted() throws Exception {
        OptionDecoder d = new OptionDecoder();
        d.decode(ByteBuffer.allocate(4));
        ClientMessage m = d.decode(ByteBuffer.wrap(option(Nbd.OPT_GO, new byte[Nbd.MAX_OPTION_LENGTH])));
        assertThat(((ClientMessage.Option) m).length()).isEqualTo(Nbd.MAX_OPTION_LENGTH);
    }

    @Test
    void recordsRejectInvalidValues() {
        assertThatThrownBy(() -> new ClientMessage.Option(1, new byte[Nbd.MAX_OPTION_LENGTH + 1]))
                .hasMessageContaining("exceeds the allowed maximum");
        assertThatThrownBy(() -> new ClientMessage.OversizedOption(1, 10)).isInstanceOf(IllegalArgumentException.class);
        byte[] data = {1, 2};
        ClientMessage.Option o = new ClientMessage.Option(1, data);
        data[0] = 9;
        assertThat(o.data()[0]).isEqualTo((byte) 1); // defensive copy: records stay immutable
    }
}
