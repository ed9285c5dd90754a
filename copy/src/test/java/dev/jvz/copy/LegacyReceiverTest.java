package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiver on legacy streams: golden input, round trips over pipes and TCP, every failure path. */
class LegacyReceiverTest {
    @TempDir
    Path dir;

    @Test
    void goldenStreamWritesTheFileAndAnswersEachSync() throws IOException {
        Path target = dir.resolve("root.hdd");
        ByteArrayOutputStream feedback = new ByteArrayOutputStream();
        Receiver.Result r = new Receiver().receive(new ByteArrayInputStream(LegacyStreamTest.GOLDEN), feedback,
                target, Receiver.Options.defaults());
        assertThat(feedback.toString(StandardCharsets.US_ASCII)).isEqualTo("SUCCESS\nSUCCESS\n");
        byte[] file = Files.readAllBytes(target);
        assertThat(file).hasSize(0x100003);
        assertThat(Arrays.copyOf(file, 16)).isEqualTo(LegacyStreamTest.SIG);
        assertThat(Arrays.copyOfRange(file, 0x100000, 0x100003)).isEqualTo(new byte[] {'x', 'y', 'z'});
        assertThat(r.protocol()).isEqualTo("legacy");
        assertThat(r.syncs()).isEqualTo(2);
        assertThat(r.bytesWritten()).isEqualTo(19);
        assertThat(r.sha256()).as("a legacy stream carries no digest, and none was asked locally").isNull();
        assertThat(r.digest()).isEqualTo(Receiver.Digest.NONE);
    }

    @Test
    void goldenStreamWithLocalDigestReportsTheFilesSha256AndAnswersTheSame() throws IOException {
        Path target = dir.resolve("root.hdd");
        ByteArrayOutputStream feedback = new ByteArrayOutputStream();
        Receiver.Result r = new Receiver().receive(new ByteArrayInputStream(LegacyStreamTest.GOLDEN), feedback,
                target, Receiver.Options.defaults().withLocalDigest(true));
        assertThat(feedback.toString(StandardCharsets.US_ASCII)).isEqualTo("SUCCESS\nSUCCESS\n");
        assertThat(r.digest()).isEqualTo(Receiver.Digest.LOCAL);
        assertThat(r.sha256()).isEqualTo(Digests.sha256().digest(Files.readAllBytes(target)));
    }

    @Test
    void existingTargetIsRefusedUnlessResuming() throws IOException {
        Path target = dir.resolve("root.hdd");
        Files.write(target, new byte[] {1});
        assertThatThrownBy(() -> new Receiver().receive(new ByteArrayInputStream(LegacyStreamTest.GOLDEN),
                new ByteArrayOutputStream(), target, Receiver.Options.defaults()))
                .isInstanceOf(FileAlreadyExistsException.class).hasMessageContaining("remove it");
        assertThat(Files.readAllBytes(target)).containsExactly(1);
    }

    @Test
    void randomContentRoundTripsOverPipesWithSyncsInTheMiddle() throws Exception {
        long seed = 42;
        byte[] image = randomImage(seed, 3 * 1024 * 1024 + 777);
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        try (LegacyStreamSink sink = new LegacyStreamSink(link.senderOut, link.senderFeedback)) {
            sendInRandomPieces(sink, image, new Random(seed));
            sink.finish();
        }
        Receiver.Result r = Link.await(f);
        assertThat(Files.readAllBytes(target)).as("seed %d", seed).isEqualTo(image);
        assertThat(r.syncs()).isGreaterThanOrEqualTo(2);
    }

    @Test
    void roundTripOverTcpLoopback() throws Exception {
        byte[] image = randomImage(7, 2 * 1024 * 1024);
        Path target = dir.resolve("copy");
        try (var ss = Transports.listen("127.0.0.1:0")) {
            var sender = Transports.connect("127.0.0.1:" + ss.getLocalPort(), java.time.Duration.ofSeconds(5));
            var receiver = Transports.accept(ss, java.time.Duration.ofSeconds(5));
            Link link = new Link(sender, receiver);
            CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
            try (LegacyStreamSink sink = new LegacyStreamSink(sender.out(), sender.in())) {
                sendInRandomPieces(sink, image, new Random(7));
                sink.finish();
            }
            Link.await(f);
            receiver.close();
        }
        assertThat(Files.readAllBytes(target)).isEqualTo(image);
    }

    @Test
    void bwlimitPacesTheLegacyStream() throws Exception {
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), dir.resolve("copy"),
                Receiver.Options.defaults());
        JvzProtocolTest.FakePacing pacing = new JvzProtocolTest.FakePacing();
        long limit = 4L << 20;
        try (LegacyStreamSink sink = new LegacyStreamSink(link.senderOut, link.senderFeedback, limit, pacing.pacing())) {
            sink.write(0, ByteBuffer.wrap(randomImage(5, 1 << 20)));
            sink.finish();
        }
        assertThat(Link.await(f).finalLength()).isEqualTo(1 << 20);
        // 1 MiB at 4 MiB/s beyond one free burst (limit / 10), by the fake clock: frames add a little.
        long expected = ((1L << 20) - limit / 10) * 1_000_000_000L / limit;
        assertThat(pacing.sleptNanos).isBetween(expected, expected + 1_000_000L);
    }

    @Test
    void senderKilledMidFrameRemovesThePartialFile() throws Exception {
        Path target = dir.resolve("copy");
        byte[] cut = Arrays.copyOf(LegacyStreamTest.GOLDEN, 40); // inside the second frame's payload
        assertThatThrownBy(() -> new Receiver().receive(new ByteArrayInputStream(cut), new ByteArrayOutputStream(),
                target, Receiver.Options.defaults()))
                .isInstanceOf(CopyProtocolException.class).hasMessageContaining("before the end frame");
        assertThat(target).doesNotExist();
    }

    @Test
    void senderKilledMidFrameKeepsThePartialFileWithKeep() throws Exception {
        Path target = dir.resolve("copy");
        byte[] cut = Arrays.copyOf(LegacyStreamTest.GOLDEN, 40);
        ByteArrayOutputStream feedback = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new Receiver().receive(new ByteArrayInputStream(cut), feedback, target,
                Receiver.Options.defaults().withKeep(true))).isInstanceOf(CopyProtocolException.class);
        assertThat(Files.readAllBytes(target)).startsWith(LegacyStreamTest.SIG);
        assertThat(feedback.toString(StandardCharsets.US_ASCII)).isEqualTo("FAILURE\n");
    }

    @Test
    void closeWithoutFinishOverPipesMakesTheReceiverDropItsFile() throws Exception {
        Path target = dir.resolve("copy");
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target, Receiver.Options.defaults());
        try (LegacyStreamSink sink = new LegacyStreamSink(link.senderOut, link.senderFeedback)) {
            sink.write(0, ByteBuffer.wrap(randomImage(1, 300_000)));
            sink.sync();
        } // no finish: the sender "died"
        assertThat(Link.failure(f)).isInstanceOf(CopyProtocolException.class);
        assertThat(target).doesNotExist();
    }

    @Test
    void badMarkerAndOversizedFrameFailCleanly() throws Exception {
        byte[] bad = LegacyStreamTest.GOLDEN.clone();
        bad[0] = 0;
        Path t1 = dir.resolve("a");
        assertThatThrownBy(() -> new Receiver().receive(new ByteArrayInputStream(bad), new ByteArrayOutputStream(), t1,
                Receiver.Options.defaults())).hasMessageContaining("bad frame marker");
        assertThat(t1).doesNotExist();
        byte[] big = LegacyStreamTest.bytes(0x3d, 0xac, 0xc0, 0x4c, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, 0, 0, 0);
        Path t2 = dir.resolve("b");
        assertThatThrownBy(() -> new Receiver().receive(new ByteArrayInputStream(big), new ByteArrayOutputStream(), t2,
                Receiver.Options.defaults())).hasMessageContaining("exceeds the allowed maximum");
        assertThat(t2).doesNotExist();
    }

    @Test
    void diskFullDuringWriteFailsRemovesTheFileAndAnswersFailureToThePendingSync() throws Exception {
        Path target = dir.resolve("copy");
        Receiver receiver = new Receiver(FailingTarget.opener(100_000, false));
        Link link = new Link();
        CompletableFuture<Receiver.Result> f = link.receive(receiver, target, Receiver.Options.defaults());
        LegacyStreamSink sink = new LegacyStreamSink(link.senderOut, link.senderFeedback);
        Throwable senderError = null;
        try {
            sink.write(0, ByteBuffer.wrap(randomImage(3, 200_000)));
            sink.sync();
        } catch (IOException e) {
            senderError = e;
        } finally {
            sink.close();
        }
        assertThat(senderError).isInstanceOf(RemoteFailureException.class).hasMessageContaining("FAILURE");
        assertThat(Link.failure(f)).hasMessageContaining("No space left on device");
        assertThat(target).doesNotExist();
    }

    @Test
    void fdatasyncFailureAnswersFailure() throws Exception {
        Path target = dir.resolve("copy");
        ByteArrayOutputStream feedback = new ByteArrayOutputStream();
        assertThatThrownBy(() -> new Receiver(FailingTarget.opener(Long.MAX_VALUE, true)).receive(
                new ByteArrayInputStream(LegacyStreamTest.GOLDEN), feedback, target, Receiver.Options.defaults()))
                .hasMessageContaining("Input/output error");
        assertThat(feedback.toString(StandardCharsets.US_ASCII)).isEqualTo("FAILURE\n");
        assertThat(target).doesNotExist();
    }

    @Test
    void fileSinkWritesLocallyAndRemovesAnUnfinishedFile() throws IOException {
        byte[] image = randomImage(9, 1_500_000);
        Path done = dir.resolve("done");
        try (FileSink sink = new FileSink(done)) {
            sendInRandomPieces(sink, image, new Random(9));
            sink.finish();
        }
        assertThat(Files.readAllBytes(done)).isEqualTo(image);
        Path aborted = dir.resolve("aborted");
        try (FileSink sink = new FileSink(aborted)) {
            sink.write(0, ByteBuffer.wrap(image));
        }
        assertThat(aborted).doesNotExist();
    }

    static byte[] randomImage(long seed, int size) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** Sends the image as a first pass in random pieces, then rewrites random extents with syncs between. */
    static void sendInRandomPieces(CopySink sink, byte[] image, Random rnd) throws IOException {
        int pos = 0;
        while (pos < image.length) {
            int n = Math.min(image.length - pos, 1 + rnd.nextInt(700_000));
            sink.write(pos, ByteBuffer.wrap(image, pos, n));
            pos += n;
        }
        sink.sync();
        for (int i = 0; i < 5; i++) {
            int start = rnd.nextInt(image.length);
            int n = Math.min(image.length - start, 1 + rnd.nextInt(100_000));
            sink.write(start, ByteBuffer.wrap(image, start, n).slice());
        }
        sink.sync();
    }

    /** A target file that runs out of space after {@code limit} bytes, or fails fdatasync. */
    static final class FailingTarget extends ForwardingTarget {
        private final long limit;
        private final boolean failForce;
        private long written;

        FailingTarget(TargetFile delegate, long limit, boolean failForce) {
            super(delegate);
            this.limit = limit;
            this.failForce = failForce;
        }

        static TargetFile.Opener opener(long limit, boolean failForce) {
            return (p, o) -> new FailingTarget(TargetFile.Opener.DEFAULT.open(p, o), limit, failForce);
        }

        @Override
        public void writeFully(ByteBuffer src, long pos) throws IOException {
            if (written + src.remaining() > limit) {
                throw new IOException("No space left on device");
            }
            written += src.remaining();
            delegate.writeFully(src, pos);
        }

        @Override
        public void force() throws IOException {
            if (failForce) {
                throw new IOException("Input/output error");
            }
            delegate.force();
        }

        /** Kept a no-op as before: these tests are about write and fdatasync failures, not hints. */
        @Override
        public void startWriteback() {}
    }

}
