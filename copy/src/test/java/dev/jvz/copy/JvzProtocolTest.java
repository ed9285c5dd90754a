package dev.jvz.copy;

import static dev.jvz.copy.LegacyReceiverTest.randomImage;
import static dev.jvz.copy.LegacyReceiverTest.sendInRandomPieces;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jvz protocol end to end: handshake, fallback, checksums, compression, bwlimit, resume, digest. */
class JvzProtocolTest {
    @TempDir
    Path dir;

    FinalImage digestOf(byte[] image) throws IOException {
        Path src = dir.resolve("src-" + image.length + "-" + Arrays.hashCode(image));
        Files.write(src, image);
        try (FileChannel ch = FileChannel.open(src)) {
            return FinalImage.of(ch, image.length, 0, null);
        }
    }

    @Test
    void roundTripOverPipesWithSyncsAndFinalDigest() throws Exception {
        byte[] image = randomImage(11, 3 * 1024 * 1024 + 123);
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        FinalImage expected = digestOf(image);
        try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                JvzOptions.defaults().withFinalImage(() -> expected))) {
            assertThat(sink.checksums()).isTrue();
            assertThat(sink.compressing()).isFalse();
            sendInRandomPieces(sink, image, new Random(11));
            sink.finish();
            assertThat(sink.finished()).isTrue();
            assertThat(sink.receiverDigest()).isEqualTo(expected.sha256());
        }
        Receiver.Result r = Link.await(f);
        assertThat(r.protocol()).isEqualTo("jvz");
        assertThat(r.syncs()).isEqualTo(2);
        assertThat(r.sha256()).isEqualTo(expected.sha256());
        assertThat(r.digest()).as("the whole-file digest of the END, compared").isEqualTo(Receiver.Digest.WHOLE_FILE);
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.EnumSource(JvzOptions.Codec.class)
    void roundTripOverTcpWithCompression(JvzOptions.Codec codec) throws Exception {
        // half compressible (zeros, like unused clusters), half random
        byte[] image = new byte[4 * 1024 * 1024];
        byte[] noise = randomImage(12, 2 * 1024 * 1024);
        System.arraycopy(noise, 0, image, 0, noise.length);
        Path target = dir.resolve("copy");
        CountingStream counted;
        try (var ss = Transports.listen("127.0.0.1:0")) {
            var sender = Transports.connect("127.0.0.1:" + ss.getLocalPort(), Duration.ofSeconds(5));
            var receiver = Transports.accept(ss, Duration.ofSeconds(5));
            Link link = new Link(sender, receiver);
            CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
            counted = new CountingStream(sender.out());
            FinalImage expected = digestOf(image);
            try (JvzStreamSink sink = JvzStreamSink.open(counted, sender.in(),
                    JvzOptions.defaults().withCompression(codec).withFinalImage(() -> expected))) {
                assertThat(sink.compressing()).isTrue();
                sink.write(0, ByteBuffer.wrap(image));
                sink.sync();
                sink.finish();
            }
            Link.await(f);
            receiver.close();
        }
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
        assertThat(counted.count).as(codec + ": the zero half compresses").isLessThan(image.length * 3L / 4);
    }

    /** A peer's LZ4 payload that is not a valid block is refused by name, not written and not a crash. */
    @Test
    void aMalformedLz4PayloadIsRefusedAndNothingIsKept() throws Exception {
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        ByteBuffer hello = ByteBuffer.allocate(JvzFormat.HELLO_SIZE).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                .putInt(JvzFormat.VERSION).putInt(JvzFormat.FEATURE_LZ4).putInt(JvzFormat.DEFAULT_RANGE).putInt(0);
        new JvzFrameHeader(JvzFormat.HELLO, 0, JvzFormat.HELLO_SIZE, JvzFormat.HELLO_SIZE, 0, 0).write(link.senderOut);
        link.senderOut.write(hello.array());
        byte[] junk = new byte[64];
        Arrays.fill(junk, (byte) 0xff); // a literal run longer than the block: not LZ4
        new JvzFrameHeader(JvzFormat.DATA, JvzFormat.FLAG_LZ4, junk.length, 4096, 8192, 0).write(link.senderOut);
        link.senderOut.write(junk);
        link.senderOut.flush();
        assertThat(Link.failure(f)).isInstanceOf(CopyProtocolException.class)
                .hasMessageContaining("DATA frame at offset 8192: the lz4 payload");
        assertThat(target).doesNotExist();
    }

    @Test
    void corruptedBlockInTransitIsCaughtByItsChecksumNamingTheOffset() throws Exception {
        byte[] image = randomImage(13, 3 * 1024 * 1024);
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        // flip one byte in the second block's payload: stream offset = hello (32+16) + block 1 (32 + 1 MiB) + 32 + 100
        long flipAt = 48 + 32 + (1 << 20) + 32 + 100;
        OutputStream corrupting = new CorruptingStream(link.senderOut, flipAt);
        Throwable senderError = null;
        try (JvzStreamSink sink = JvzStreamSink.open(corrupting, link.senderFeedback, JvzOptions.defaults())) {
            sink.write(0, ByteBuffer.wrap(image));
            sink.sync();
            sink.finish();
        } catch (IOException e) {
            senderError = e;
        }
        Throwable receiverError = Link.failure(f);
        assertThat(receiverError).isInstanceOf(ChecksumMismatchException.class)
                .hasMessageContaining("CRC32C mismatch in the block at image offset 1048576");
        assertThat(((ChecksumMismatchException) receiverError).offset()).isEqualTo(1 << 20);
        assertThat(senderError).isInstanceOf(RemoteFailureException.class)
                .hasMessageContaining("CRC32C mismatch in the block at image offset 1048576");
        assertThat(target).doesNotExist();
    }

    /**
     * The receiver keeps its hash list up to date as blocks arrive and re-reads at END only the ranges
     * that were not received in order or were written again: a block re-sent into a range already
     * hashed (a later pass) must make that range count with its new bytes, else the digests differ.
     * Without the HELLO's hash-list hint the receiver reads every range back, with the same result.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void hashListDigestFollowsBlocksWrittenAgainAfterTheirRangeWasHashed(boolean hint) throws Exception {
        int range = JvzFormat.MIN_RANGE;
        byte[] first = randomImage(15, 5 * range + 1234);
        byte[] last = first.clone();
        byte[] again = randomImage(16, 3000);
        System.arraycopy(again, 0, last, range + 100, 3000); // inside range 1, hashed by then
        System.arraycopy(again, 0, last, 2 * range, 1000); // at the start of range 2
        Path src = dir.resolve("final");
        Files.write(src, last);
        FinalImage expected;
        try (FileChannel ch = FileChannel.open(src)) {
            expected = new FinalImage(last.length, Digests.rangeListSha256(ch::read, last.length, range), range);
        }
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                JvzOptions.defaults().withResume(false, range).withHashList(hint).withFinalImage(() -> expected))) {
            sendInRandomPieces(sink, first, new Random(15)); // pass 1, in order
            sink.write(range + 100, ByteBuffer.wrap(last, range + 100, 3000).slice());
            sink.write(2L * range, ByteBuffer.wrap(last, 2 * range, 1000).slice());
            sink.finish();
            assertThat(sink.receiverDigest()).isEqualTo(expected.sha256());
        }
        Receiver.Result r = Link.await(f);
        assertThat(r.digest()).isEqualTo(Receiver.Digest.HASH_LIST);
        assertThat(Files.readAllBytes(target)).isEqualTo(last);
    }

    @Test
    void finalDigestMismatchFailsBothEnds() throws Exception {
        byte[] image = randomImage(14, 1024 * 1024);
        byte[] other = image.clone();
        other[5000] ^= 1; // what the sender believes the image is
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                Receiver.Options.defaults().withKeep(true));
        FinalImage wrong = digestOf(other);
        JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback, JvzOptions.defaults());
        sink.write(0, ByteBuffer.wrap(image));
        assertThatThrownBy(() -> sink.finish(wrong)).isInstanceOf(RemoteFailureException.class)
                .hasMessageContaining("final image digest mismatch");
        sink.close();
        assertThat(Link.failure(f)).isInstanceOf(ChecksumMismatchException.class);
        assertThat(target).exists(); // kept for a resume
    }

    @Test
    void receiverKilledMidCopyFailsTheSender() throws Exception {
        Link link = new Link();
        JvzStreamSinkHolder h = new JvzStreamSinkHolder();
        Thread receiverThread = Thread.ofPlatform().start(() -> {
            try {
                // a receiver that acks the hello and dies after reading 100 KiB
                byte[] hello = link.receiverIn.readNBytes(48);
                assertThat(hello).hasSize(48);
                ByteBuffer ack = ByteBuffer.allocate(24).order(java.nio.ByteOrder.LITTLE_ENDIAN)
                        .putInt(1).putInt(JvzFormat.FEATURE_CRC32C).putLong(0).putInt(0).putInt(0);
                link.receiverFeedback.write(new JvzFrameHeader(JvzFormat.HELLO_ACK, 0, 24, 24, 0, 0).encode());
                link.receiverFeedback.write(ack.array());
                link.receiverFeedback.flush();
                link.receiverIn.readNBytes(100 * 1024);
                link.receiverIn.close();
                link.receiverFeedback.close();
            } catch (Throwable e) {
                h.error = e;
            }
        });
        JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback, JvzOptions.defaults());
        assertThatThrownBy(() -> {
            sink.write(0, ByteBuffer.wrap(randomImage(15, 4 * 1024 * 1024)));
            sink.sync();
        }).isInstanceOf(IOException.class);
        sink.close();
        assertThat(receiverThread.join(java.time.Duration.ofSeconds(10))).as("the receiver thread ended").isTrue();
        assertThat(h.error).isNull();
    }

    static final class JvzStreamSinkHolder {
        volatile Throwable error;
    }

    @Test
    void resumeSkipsWhatAKeptPartialCopyAlreadyHas() throws Exception {
        int range = 64 * 1024;
        byte[] image = randomImage(16, 40 * range + 1000);
        Path target = dir.resolve("copy");
        // the kept partial file: first 25 ranges right, range 7 damaged, then a stale tail longer than the image
        byte[] kept = Arrays.copyOf(image, 45 * range);
        Arrays.fill(kept, 25 * range, kept.length, (byte) 0x55);
        kept[7 * range + 3] ^= 1;
        Files.write(target, kept);
        Path src = dir.resolve("src");
        Files.write(src, image);

        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                Receiver.Options.defaults().withResume(true).withKeep(true));
        long sent = 0;
        try (FileChannel source = FileChannel.open(src, StandardOpenOption.READ);
             JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                     JvzOptions.defaults().withResume(true, range)
                             .withFinalImage(() -> FinalImage.of(source, image.length, 0, null)))) {
            ResumeInfo info = sink.resume();
            assertThat(info.keptLength()).isEqualTo(kept.length);
            assertThat(info.digests()).hasSize(45);
            BitSet same = info.matchingRanges(source);
            BitSet expected = new BitSet();
            expected.set(0, 25);
            expected.clear(7);
            assertThat(same).isEqualTo(expected);
            for (long pos = 0; pos < image.length; pos += range) {
                if (!same.get((int) (pos / range))) {
                    int n = (int) Math.min(range, image.length - pos);
                    sink.write(pos, ByteBuffer.wrap(image, (int) pos, n));
                    sent += n;
                }
            }
            sink.finish(); // the receiver truncates the stale tail; digests must then match
        }
        Link.await(f);
        assertThat(sent).isEqualTo(image.length - 24L * range);
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
    }

    @Test
    void diskFullOnTheReceiverReachesTheSenderWithTheReason() throws Exception {
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(
                new Receiver(LegacyReceiverTest.FailingTarget.opener(1 << 20, false)), target,
                Receiver.Options.defaults());
        JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback, JvzOptions.defaults());
        assertThatThrownBy(() -> {
            sink.write(0, ByteBuffer.wrap(randomImage(19, 3 << 20)));
            sink.sync();
        }).isInstanceOf(RemoteFailureException.class).hasMessageContaining("No space left on device");
        sink.close();
        assertThat(Link.failure(f)).hasMessageContaining("No space left on device");
        assertThat(target).doesNotExist();
    }

    @Test
    void keptPartialCopyFromAKilledSenderIsResumedEndToEnd() throws Exception {
        int range = 64 * 1024;
        byte[] image = randomImage(20, 3 * 1024 * 1024 + 5);
        Path src = dir.resolve("src");
        Files.write(src, image);
        Path target = dir.resolve("copy");
        Receiver.Options opts = Receiver.Options.defaults().withKeep(true).withResume(true);
        JvzOptions jopts = JvzOptions.defaults().withResume(true, range);

        // attempt 1: the sender dies after 1.5 MiB and a sync
        Link first = new Link();
        CompletableFuture<Receiver.Result> f1 = first.receive(new Receiver(), target, opts);
        try (JvzStreamSink sink = JvzStreamSink.open(first.senderOut, first.senderFeedback, jopts)) {
            sink.write(0, ByteBuffer.wrap(image, 0, 3 << 19));
            sink.sync();
        }
        assertThat(Link.failure(f1)).isInstanceOf(CopyProtocolException.class);
        assertThat(Files.size(target)).isEqualTo(3 << 19);

        // attempt 2: resume
        Link second = new Link();
        CompletableFuture<Receiver.Result> f2 = second.receive(new Receiver(), target, opts);
        long sent = 0;
        try (FileChannel source = FileChannel.open(src);
             JvzStreamSink sink = JvzStreamSink.open(second.senderOut, second.senderFeedback,
                     jopts.withFinalImage(() -> FinalImage.of(source, image.length, 0, null)))) {
            BitSet same = sink.resume().matchingRanges(source);
            assertThat(same.cardinality()).isEqualTo((3 << 19) / range);
            for (long pos = 0; pos < image.length; pos += range) {
                if (!same.get((int) (pos / range))) {
                    int n = (int) Math.min(range, image.length - pos);
                    sink.write(pos, ByteBuffer.wrap(image, (int) pos, n));
                    sent += n;
                }
            }
            sink.finish();
        }
        Receiver.Result r = Link.await(f2);
        assertThat(r.bytesWritten()).isEqualTo(sent).isEqualTo(image.length - (3L << 19));
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
    }

    @Test
    void connectorOverTcpSpeaksJvzToAJvzReceiver() throws Exception {
        byte[] image = randomImage(21, 1 << 20);
        Path target = dir.resolve("copy");
        AtomicInteger connects = new AtomicInteger();
        try (var ss = Transports.listen("127.0.0.1:0")) {
            CompletableFuture<Receiver.Result> f = CompletableFuture.supplyAsync(() -> {
                try (var d = Transports.accept(ss, Duration.ofSeconds(10))) {
                    return new Receiver().receive(d.in(), d.out(), target, Receiver.Options.defaults());
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
            try (CopySink sink = CopySinks.open(() -> {
                connects.incrementAndGet();
                return Transports.connect("127.0.0.1:" + ss.getLocalPort(), Duration.ofSeconds(5));
            }, JvzOptions.defaults().withFinalImage(() -> digestOf(image)))) {
                assertThat(sink).isInstanceOf(JvzStreamSink.class);
                sink.write(0, ByteBuffer.wrap(image));
                sink.finish();
            }
            assertThat(f.get(30, java.util.concurrent.TimeUnit.SECONDS).protocol()).isEqualTo("jvz");
        }
        assertThat(connects.get()).isEqualTo(1);
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
    }

    @Test
    void silentReceiverTimesOutTheHelloWithoutFallingBack() throws Exception {
        AtomicInteger connects = new AtomicInteger();
        try (var ss = Transports.listen("127.0.0.1:0")) {
            CopySinks.Connector connector = () -> {
                connects.incrementAndGet();
                return Transports.connect("127.0.0.1:" + ss.getLocalPort(), Duration.ofSeconds(5));
            };
            // the backlog accepts the connection; nobody ever reads or answers
            assertThatThrownBy(() -> CopySinks.open(connector, JvzOptions.defaults(), Duration.ofMillis(200)))
                    .isInstanceOf(java.net.SocketTimeoutException.class)
                    .hasMessageContaining("did not answer the jvz hello within PT0.2S");
        }
        assertThat(connects.get()).isEqualTo(1);
    }

    @Test
    void resumedCopyWithoutAFinalDigestIsRefused() throws Exception {
        Path target = dir.resolve("copy");
        Files.write(target, new byte[100_000]);
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                Receiver.Options.defaults().withResume(true));
        JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                JvzOptions.defaults().withResume(true, 64 * 1024));
        assertThat(sink.resume().digests()).hasSize(2);
        sink.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        assertThatThrownBy(sink::finish).isInstanceOf(RemoteFailureException.class)
                .hasMessageContaining("stale bytes");
        sink.close();
        assertThat(Link.failure(f)).isInstanceOf(CopyProtocolException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void resumeIsNotOfferedWhenTheReceiverHasNoFile() throws Exception {
        Link link = new Link();
        Path target = dir.resolve("copy");
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                Receiver.Options.defaults().withResume(true));
        try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                JvzOptions.defaults().withResume(true, 64 * 1024))) {
            assertThat(sink.resume()).isEqualTo(ResumeInfo.NONE);
            sink.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
            sink.finish();
        }
        assertThat(Link.await(f).finalLength()).isEqualTo(3);
    }

    @Test
    void bwlimitPacesEveryByteOfTheStream() throws Exception {
        long limit = 4L * 1024 * 1024; // 4 MiB/s
        byte[] image = randomImage(17, 2 * 1024 * 1024);
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), dir.resolve("copy"),
                Receiver.Options.defaults());
        FakePacing pacing = new FakePacing();
        try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                JvzOptions.defaults().withBwlimit(limit), pacing.pacing())) {
            sink.write(0, ByteBuffer.wrap(image));
            sink.finish();
        }
        assertThat(Link.await(f).finalLength()).isEqualTo(image.length);
        // The fake clock moves only when the limiter sleeps, so the sleeps it asked for are exactly the
        // stream's bytes beyond one free burst (max(64 KiB, limit / 10)) at the limit: the pacing is
        // proven by arithmetic, not by wall time. Frame headers add a few hundred bytes.
        long burst = Math.max(64 * 1024, limit / 10);
        long expected = (image.length - burst) * 1_000_000_000L / limit;
        assertThat(pacing.sleptNanos).isBetween(expected, expected + 1_000_000L);
        assertThat(pacing.sleeps).as("paced in several steps, not one").isGreaterThan(1);
    }

    /** A clock that moves only when the limiter sleeps; counts the sleeps. Used by one sender thread. */
    static final class FakePacing {
        long now;
        long sleptNanos;
        int sleeps;

        RateLimiter.Pacing pacing() {
            return new RateLimiter.Pacing(() -> now, n -> {
                now += n;
                sleptNanos += n;
                sleeps++;
            });
        }
    }

    @Test
    void legacyOnlyReceiverAnswersFailureAndTheConnectorFallsBackToLegacy() throws Exception {
        byte[] image = randomImage(18, 1024 * 1024 + 17);
        Path target = dir.resolve("copy");
        AtomicInteger connects = new AtomicInteger();
        CompletableFuture<?>[] receivers = new CompletableFuture<?>[2];
        CopySinks.Connector connector = () -> {
            int n = connects.getAndIncrement();
            Link link = new Link();
            receivers[n] = link.receive(new Receiver(), target, Receiver.Options.defaults().withAcceptJvz(false));
            return new Transports.Duplex(link.senderFeedback, link.senderOut, null);
        };
        try (CopySink sink = CopySinks.open(connector, JvzOptions.defaults())) {
            assertThat(sink).isInstanceOf(LegacyStreamSink.class);
            sendInRandomPieces(sink, image, new Random(18));
            sink.finish();
        }
        assertThat(connects.get()).isEqualTo(2);
        assertThatThrownBy(() -> receivers[0].get()).hasMessageContaining("bad frame marker 0x315a564a");
        assertThat(receivers[1].get()).isNotNull();
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
    }

    @Test
    void receiverThatJustClosesOnTheHelloAlsoFallsBack() throws Exception {
        AtomicInteger connects = new AtomicInteger();
        ByteArrayOutputStream legacyStream = new ByteArrayOutputStream();
        CopySinks.Connector connector = () -> {
            if (connects.getAndIncrement() == 0) {
                // like ploop's receiver: reads the header, sees a wrong marker, exits without a word
                return new Transports.Duplex(new java.io.ByteArrayInputStream(new byte[0]), OutputStream.nullOutputStream(), null);
            }
            return new Transports.Duplex(new java.io.ByteArrayInputStream("SUCCESS\n".getBytes()), legacyStream, null);
        };
        try (CopySink sink = CopySinks.open(connector, JvzOptions.defaults())) {
            assertThat(sink).isInstanceOf(LegacyStreamSink.class);
            sink.write(0, ByteBuffer.wrap(LegacyStreamTest.SIG));
            sink.finish();
        }
        assertThat(legacyStream.toByteArray()).startsWith(Arrays.copyOf(LegacyStreamTest.GOLDEN, 32));
    }

    @Test
    void jvzReceiverRefusesOversizedAndTruncatedFrames() throws Exception {
        // hello, then a DATA frame announcing 2 MiB
        ByteArrayOutputStream s = new ByteArrayOutputStream();
        s.writeBytes(new JvzFrameHeader(JvzFormat.HELLO, 0, 16, 16, 0, 0).encode());
        s.writeBytes(ByteBuffer.allocate(16).order(java.nio.ByteOrder.LITTLE_ENDIAN).putInt(1).putInt(0)
                .putInt(JvzFormat.DEFAULT_RANGE).putInt(0).array());
        byte[] helloOnly = s.toByteArray();
        s.writeBytes(new JvzFrameHeader(JvzFormat.DATA, 0, 2 << 20, 2 << 20, 0, 0).encode());
        Path t = dir.resolve("t");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new Receiver().receive(new java.io.ByteArrayInputStream(s.toByteArray()), fb, t,
                Receiver.Options.defaults())).isInstanceOf(CopyProtocolException.class)
                .hasMessageContaining("the allowed maximum is 1048576");
        assertThat(t).doesNotExist();
        // the sender gets an ERROR frame after the HELLO_ACK
        byte[] replies = fb.toByteArray();
        assertThat(replies[4] & 0xff).isEqualTo(JvzFormat.HELLO_ACK);
        assertThat(replies[32 + 24 + 4] & 0xff).isEqualTo(JvzFormat.ERROR);

        for (int cut = 4; cut < helloOnly.length + 40; cut += 7) {
            byte[] in = Arrays.copyOf(s.toByteArray(), Math.min(cut, helloOnly.length + 32 - 1));
            Path t2 = dir.resolve("t" + cut);
            assertThatThrownBy(() -> new Receiver().receive(new java.io.ByteArrayInputStream(in),
                    new ByteArrayOutputStream(), t2, Receiver.Options.defaults()))
                    .isInstanceOf(CopyProtocolException.class);
            assertThat(t2).doesNotExist();
        }
    }

    /** Counts bytes written. */
    static final class CountingStream extends FilterOutputStream {
        long count;

        CountingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            count += len;
            out.write(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
            count++;
            out.write(b);
        }
    }

    /** Flips one bit at a given stream offset. */
    static final class CorruptingStream extends FilterOutputStream {
        private final long at;
        private long pos;

        CorruptingStream(OutputStream out, long at) {
            super(out);
            this.at = at;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            if (at >= pos && at < pos + len) {
                b = Arrays.copyOfRange(b, off, off + len);
                off = 0;
                b[(int) (at - pos)] ^= 1;
            }
            pos += len;
            out.write(b, off, len);
        }

        @Override
        public void write(int b) throws IOException {
            write(new byte[] {(byte) b}, 0, 1);
        }
    }
}
