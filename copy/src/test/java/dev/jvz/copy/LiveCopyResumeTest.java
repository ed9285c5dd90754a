package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A live copy resumed from what a receiver kept of an earlier attempt sends only what it lacks. */
class LiveCopyResumeTest {
    @TempDir
    Path dir;

    @Test
    void resumeSkipsTheKeptRangesThatStillMatchAndTheResultEqualsTheSource() throws Exception {
        Path top = dir.resolve("root.hdd");
        Image.create(top, new CreateOptions(8L << 20, PloopFormat.MIN_CLUSTER_SECTORS, 2));
        Random r = new Random(42);
        try (Image img = Image.open(top, true)) {
            byte[] data = new byte[6 << 20];
            r.nextBytes(data);
            img.write(0, ByteBuffer.wrap(data));
            img.flush();
            // An earlier attempt kept the first half of the file as it was then...
            byte[] then = Files.readAllBytes(top);
            int keptLength = then.length / 2;
            Path target = dir.resolve("copy");
            Files.write(target, Arrays.copyOf(then, keptLength));
            // ...and the source changed since, inside the kept part: that range must be sent again.
            byte[] change = new byte[10];
            r.nextBytes(change);
            img.write(100_000, ByteBuffer.wrap(change));
            img.flush();

            int range = 64 * 1024;
            Link link = new Link();
            CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                    Receiver.Options.defaults().withResume(true).withKeep(true));
            CopyReport report;
            try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                    JvzOptions.defaults().withResume(true, range).withFinalImage(() -> cleanCopyOf(top)))) {
                ResumeInfo info = sink.resume();
                assertThat(info.keptLength()).isEqualTo(keptLength);
                report = LiveCopy.builder(img, sink).resume(info).build().run();
            }
            Receiver.Result result = Link.await(f);
            long fileSize = Files.size(top);
            // Pass 1 skipped all of the kept half but the changed range (and the header's, whose BAT moved).
            assertThat(report.passes().getFirst().bytes()).isLessThan(fileSize - keptLength + 4L * range);
            assertThat(result.bytesWritten()).isLessThan(fileSize);
            assertThat(Files.readAllBytes(target)).isEqualTo(cleanBytes(top));
        }
    }

    /**
     * The way the CLI and the node run it: the builder takes the resume offer from the sink itself and
     * the final digest is the hash list kept during the copy (no frozen whole-image read); a kept range
     * that matches is not sent and enters the hash list with the receiver's own digest.
     */
    @Test
    void resumeWithTheFinalDigestTakesTheOfferFromTheSinkAndProvesTheResult() throws Exception {
        Path top = dir.resolve("root.hdd");
        Image.create(top, new CreateOptions(8L << 20, PloopFormat.MIN_CLUSTER_SECTORS, 2));
        Random r = new Random(43);
        try (Image img = Image.open(top, true)) {
            byte[] data = new byte[6 << 20];
            r.nextBytes(data);
            img.write(0, ByteBuffer.wrap(data));
            img.flush();
            byte[] then = Files.readAllBytes(top);
            int range = 64 * 1024;
            int keptLength = then.length / 2 + 1000; // not on a range boundary: the last kept range is short
            Path target = dir.resolve("copy");
            Files.write(target, Arrays.copyOf(then, keptLength));
            byte[] change = new byte[10];
            r.nextBytes(change);
            img.write(200_000, ByteBuffer.wrap(change));
            img.flush();

            Link link = new Link();
            CompletableFuture<Receiver.Result> f = link.receive(new Receiver(), target,
                    Receiver.Options.defaults().withResume(true).withKeep(true));
            CopyReport report;
            try (JvzStreamSink sink = JvzStreamSink.open(link.senderOut, link.senderFeedback,
                    JvzOptions.defaults().withResume(true, range))) {
                assertThat(sink.resume().keptLength()).isEqualTo(keptLength);
                report = LiveCopy.builder(img, sink).finalDigest(true).build().run();
            }
            Receiver.Result result = Link.await(f);
            long fileSize = Files.size(top);
            assertThat(report.passes().getFirst().bytes()).isLessThan(fileSize - keptLength + 4L * range);
            assertThat(report.verify()).isNotNull();
            assertThat(java.util.HexFormat.of().formatHex(result.sha256())).isEqualTo(report.verify().sha256());
            assertThat(Files.readAllBytes(target)).isEqualTo(cleanBytes(top));
        }
    }

    /** The source file as the copy must end: its header with inUse cleared (the source is still open). */
    private static byte[] cleanBytes(Path top) throws Exception {
        byte[] b = Files.readAllBytes(top);
        PloopHeader h = PloopHeader.decode(ByteBuffer.wrap(b, 0, PloopFormat.HEADER_SIZE), top.toString());
        ByteBuffer clean = h.withInUse(PloopFormat.INUSE_CLOSED).encode();
        clean.get(b, 0, PloopFormat.HEADER_SIZE);
        return b;
    }

    private static FinalImage cleanCopyOf(Path top) throws java.io.IOException {
        try (FileChannel ch = FileChannel.open(top)) {
            byte[] header = Arrays.copyOf(cleanBytes(top), PloopFormat.HEADER_SIZE);
            return FinalImage.of(ch, ch.size(), 0, header);
        } catch (java.io.IOException e) {
            throw e;
        } catch (Exception e) {
            throw new java.io.IOException(e);
        }
    }
}
