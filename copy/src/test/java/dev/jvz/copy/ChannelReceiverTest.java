package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The receiver's channel path (direct buffers filled by a socket's or a FileInputStream's channel,
 * data slices written without a copy) and its heap path with many-MiB streams: byte-exact copies of
 * random write mixes that cross the input buffers' ends, and the failures (cut stream, damaged
 * block, oversized frame) still caught, answered and cleaned up.
 */
class ChannelReceiverTest {
    @TempDir
    Path dir;

    /** Image bytes per test: more than two input buffers, so the pool cycles. */
    private static final int SIZE = 3 * ReceiveInput.CAPACITY + 12345;

    /**
     * Writes a random mix into {@code sink} and returns the image it describes: a first pass in
     * pieces of 1 byte to 3 MiB (the jvz sink splits them into 1 MiB blocks), a sync, then 300
     * scattered small extents (4 KiB aligned and odd sizes), as the later passes of a live copy send.
     */
    static byte[] drive(CopySink sink, long seed) throws IOException {
        return drive(sink, seed, false);
    }

    /** @param compressible zero the second half of each write (so zstd has something to win) */
    static byte[] drive(CopySink sink, long seed, boolean compressible) throws IOException {
        Random r = new Random(seed);
        byte[] image = new byte[SIZE];
        for (int pos = 0; pos < SIZE; ) {
            int n = Math.min(SIZE - pos, r.nextInt(4) == 0 ? 1 + r.nextInt(100) : 1 + r.nextInt(3 << 20));
            write(sink, image, r, pos, n, compressible);
            pos += n;
        }
        sink.sync();
        for (int i = 0; i < 300; i++) {
            int n = r.nextBoolean() ? 4096 : 1 + r.nextInt(70_000);
            int pos = r.nextBoolean() ? r.nextInt(SIZE / 4096) * 4096 : r.nextInt(SIZE);
            write(sink, image, r, pos, Math.min(n, SIZE - pos), compressible);
        }
        sink.finish();
        return image;
    }

    private static void write(CopySink sink, byte[] image, Random r, int pos, int n, boolean compressible)
            throws IOException {
        byte[] d = new byte[n];
        r.nextBytes(d);
        if (compressible) {
            Arrays.fill(d, n / 2, n, (byte) 0);
        }
        System.arraycopy(d, 0, image, pos, n);
        // direct buffers, as LiveCopy's pipeline hands them over
        sink.write(pos, ByteBuffer.allocateDirect(n).put(d).flip());
    }

    /** The bytes a sender puts on the wire for {@link #drive}, with canned receiver answers. */
    static byte[] stream(String protocol, long seed, byte[][] image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CopySink sink = protocol.equals("jvz")
                ? JvzStreamSink.open(out, new ByteArrayInputStream(JvzWireTest.receiverReplies()), JvzOptions.defaults())
                : new LegacyStreamSink(out, new ByteArrayInputStream("SUCCESS\nSUCCESS\n".getBytes(StandardCharsets.US_ASCII)));
        image[0] = drive(sink, seed);
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {"jvz", "legacy", "jvz-guarded", "legacy-guarded", "jvz-zstd"})
    void socketFromTransportsIsReadThroughItsChannelExactly(String variant) throws Exception {
        String protocol = variant.replace("-guarded", "").replace("-zstd", "");
        boolean zstd = variant.endsWith("-zstd");
        long seed = 4242L + variant.length();
        Path target = dir.resolve("copy");
        try (ServerSocket ss = Transports.listen("127.0.0.1:0")) {
            CompletableFuture<Receiver.Result> f = new CompletableFuture<>();
            boolean[] channel = new boolean[1];
            Thread.ofPlatform().daemon().start(() -> {
                try (Transports.Duplex d = Transports.accept(ss, Duration.ofSeconds(10))) {
                    channel[0] = ReceiveInput.channelOf(d.in()) != null;
                    f.complete(new Receiver().receive(d.in(), d.out(), target, Receiver.Options.defaults()));
                } catch (Throwable t) {
                    f.completeExceptionally(t);
                }
            });
            byte[] image;
            Transports.Duplex raw = Transports.connect("127.0.0.1:" + ss.getLocalPort(), Duration.ofSeconds(10));
            // The stall guard keeps the channel path (its writes are timed the same way).
            try (Transports.Duplex d = variant.endsWith("-guarded") ? StallGuard.guard(raw, Duration.ofMinutes(1)) : raw;
                 CopySink sink = protocol.equals("jvz")
                         ? JvzStreamSink.open(d.out(), d.in(), JvzOptions.defaults().withCompress(zstd))
                         : new LegacyStreamSink(d.out(), d.in())) {
                assertThat(ChannelOutput.of(d.out())).as("the sender writes direct blocks to the channel").isNotNull();
                if (zstd) {
                    assertThat(((JvzStreamSink) sink).compressing()).isTrue();
                }
                image = drive(sink, seed, zstd);
            }
            raw.close();
            Receiver.Result r = f.get(30, TimeUnit.SECONDS);
            assertThat(channel[0]).as("an accepted socket's stream exposes its channel").isTrue();
            assertThat(r.protocol()).isEqualTo(protocol);
            assertThat(Files.readAllBytes(target)).as("seed %d", seed).isEqualTo(image);
        }
    }

    @Test
    void aSocketWithAReadTimeoutKeepsItsStream() throws Exception {
        try (ServerSocket ss = Transports.listen("127.0.0.1:0");
             Transports.Duplex c = Transports.connect("127.0.0.1:" + ss.getLocalPort(), Duration.ofSeconds(10));
             Transports.Duplex d = Transports.accept(ss, Duration.ofSeconds(10))) {
            assertThat(ReceiveInput.channelOf(d.in())).isNotNull();
            ((java.net.Socket) d.resource()).setSoTimeout(1000);
            assertThat(ReceiveInput.channelOf(d.in())).as("a channel read would ignore SO_TIMEOUT").isNull();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"jvz", "legacy"})
    void fileInputStreamIsReadThroughItsChannelExactly(String protocol) throws Exception {
        byte[][] image = new byte[1][];
        byte[] wire = stream(protocol, 99, image);
        Path in = dir.resolve("stream");
        Files.write(in, wire);
        Path target = dir.resolve("copy");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        try (FileInputStream fis = new FileInputStream(in.toFile())) {
            assertThat(ReceiveInput.channelOf(fis)).isNotNull();
            new Receiver().receive(fis, fb, target, Receiver.Options.defaults());
        }
        assertThat(Files.readAllBytes(target)).isEqualTo(image[0]);
    }

    @RepeatedTest(4)
    void heapPathWithRandomShortReadsIsExact(RepetitionInfo info) throws Exception {
        long seed = 500L + info.getCurrentRepetition();
        String protocol = info.getCurrentRepetition() % 2 == 0 ? "jvz" : "legacy";
        byte[][] image = new byte[1][];
        byte[] wire = stream(protocol, seed, image);
        Random r = new Random(seed);
        InputStream trickle = new ByteArrayInputStream(wire) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + r.nextInt(r.nextBoolean() ? 64 : 200_000)));
            }
        };
        Path target = dir.resolve("copy" + seed);
        new Receiver().receive(trickle, new ByteArrayOutputStream(), target, Receiver.Options.defaults());
        assertThat(Files.readAllBytes(target)).as("seed %d, %s", seed, protocol).isEqualTo(image[0]);
    }

    @RepeatedTest(6)
    void aCutStreamFailsAndRemovesThePartialFile(RepetitionInfo info) throws Exception {
        long seed = 900L + info.getCurrentRepetition();
        String protocol = info.getCurrentRepetition() % 2 == 0 ? "jvz" : "legacy";
        byte[][] image = new byte[1][];
        byte[] wire = stream(protocol, seed, image);
        // Cut anywhere after the first frame header: inside a header, a payload, or at a frame end.
        int cut = 64 + new Random(seed).nextInt(wire.length - 64 - 1);
        Path in = dir.resolve("cut");
        Files.write(in, Arrays.copyOf(wire, cut));
        Path target = dir.resolve("copy");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        try (FileInputStream fis = new FileInputStream(in.toFile())) {
            assertThatThrownBy(() -> new Receiver().receive(fis, fb, target, Receiver.Options.defaults()))
                    .as("seed %d, %s cut at %d of %d", seed, protocol, cut, wire.length)
                    .isInstanceOf(CopyProtocolException.class).hasMessageContaining("stream ended");
        }
        assertThat(target).as("seed %d", seed).doesNotExist();
    }

    @Test
    void aDamagedBlockIsCaughtByCrc32cOnTheChannelPath() throws Exception {
        byte[][] image = new byte[1][];
        byte[] wire = stream("jvz", 7, image);
        // The first DATA frame starts after HELLO (32 + 16); damage a byte deep in its payload.
        ByteBuffer h = ByteBuffer.wrap(wire, 48, 32);
        JvzFrameHeader first = JvzFrameHeader.decode(h);
        assertThat(first.type()).isEqualTo(JvzFormat.DATA);
        wire[48 + 32 + first.wireLength() - 1] ^= 0x10;
        Path in = dir.resolve("damaged");
        Files.write(in, wire);
        Path target = dir.resolve("copy");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        try (FileInputStream fis = new FileInputStream(in.toFile())) {
            assertThatThrownBy(() -> new Receiver().receive(fis, fb, target, Receiver.Options.defaults()))
                    .isInstanceOf(ChecksumMismatchException.class)
                    .hasMessageContaining("CRC32C mismatch in the block at image offset " + first.pos() + " ");
        }
        assertThat(target).doesNotExist();
        byte[] answers = fb.toByteArray();
        assertThat(answers.length).isGreaterThan(32 + 24 + 32);
        assertThat(answers[32 + 24 + 4] & 0xff).as("after HELLO_ACK comes an ERROR").isEqualTo(JvzFormat.ERROR);
    }

    @Test
    void anOversizedFrameIsRefusedBeforeItsPayloadIsRead() throws Exception {
        byte[] hello = Arrays.copyOf(JvzWireTest.SENDER_STREAM, 48);
        byte[] big = new JvzFrameHeader(JvzFormat.DATA, JvzFormat.FLAG_CRC, JvzFormat.MAX_BLOCK + 1,
                JvzFormat.MAX_BLOCK + 1, 0, 0).encode();
        Path in = dir.resolve("big");
        Files.write(in, LegacyStreamTest.concat(hello, big)); // no payload follows: it must not be awaited
        Path target = dir.resolve("copy");
        try (FileInputStream fis = new FileInputStream(in.toFile())) {
            assertThatThrownBy(() -> new Receiver().receive(fis, new ByteArrayOutputStream(), target,
                    Receiver.Options.defaults()))
                    .isInstanceOf(CopyProtocolException.class).hasMessageContaining("the allowed maximum is 1048576");
        }
        assertThat(target).doesNotExist();
    }
}
