package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The receiver's pooled input buffers: contiguity across buffer ends, EOF, push mode, reference counts. */
class ReceiveInputTest {
    @TempDir
    Path dir;

    /** A source over {@code data} that returns at most {@code step} bytes a read. */
    static ReceiveInput.Source source(byte[] data, int step) {
        int[] at = {0};
        return dst -> {
            if (at[0] == data.length) {
                return -1;
            }
            int n = Math.min(step, Math.min(dst.remaining(), data.length - at[0]));
            dst.put(data, at[0], n);
            at[0] += n;
            return n;
        };
    }

    static byte[] seq(int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) i;
        }
        return b;
    }

    @Test
    void aFrameAcrossTheBufferEndIsMovedToAFreshBufferWhole() throws IOException {
        byte[] data = seq(40);
        try (ReceiveInput in = new ReceiveInput(source(data, 7), false, 16, 2)) {
            assertThat(in.ensure(10)).isTrue();
            in.skip(10);
            assertThat(in.ensure(12)).as("only 6 bytes fit behind position 10 of 16").isTrue();
            ByteBuffer s = in.take(12);
            for (int i = 0; i < 12; i++) {
                assertThat(s.get(i)).isEqualTo((byte) (10 + i));
            }
            assertThat(in.freeBuffers()).as("the old buffer went back, the new one is read").isEqualTo(1);
        }
    }

    @Test
    void endOfStreamBeforeEnoughBytesIsFalseWithWhatThereIs() throws IOException {
        try (ReceiveInput in = new ReceiveInput(source(seq(5), 1), false, 16, 2)) {
            assertThat(in.ensure(8)).isFalse();
            assertThat(in.available()).isEqualTo(5);
            assertThat(in.ensure(5)).isTrue();
            in.skip(5);
            assertThat(in.fill()).isZero();
        }
    }

    @Test
    void ensureNeverWaitsForMoreThanAsked() throws IOException {
        // A source that fails if asked again once 4 bytes were delivered: a peer waiting for our answer.
        int[] reads = {0};
        ReceiveInput.Source s = dst -> {
            if (reads[0]++ > 0) {
                throw new AssertionError("read again although 4 bytes were there");
            }
            dst.put(new byte[] {1, 2, 3, 4});
            return 4;
        };
        try (ReceiveInput in = new ReceiveInput(s, true, 16, 2)) {
            assertThat(in.ensure(4)).isTrue();
            assertThat(in.peek().getInt(0)).isEqualTo(0x04030201); // little-endian view
        }
    }

    @Test
    void pushModeReplacesAFullBufferWithoutCopying() throws IOException {
        byte[] data = seq(50);
        ByteBuffer got = ByteBuffer.allocate(50);
        try (ReceiveInput in = new ReceiveInput(source(data, 16), true, 16, 2)) {
            int n;
            while ((n = in.fill()) > 0) {
                got.put(in.peek());
                in.skip(n);
            }
            assertThat(in.freeBuffers()).isEqualTo(1);
        }
        assertThat(got.array()).isEqualTo(data);
    }

    @Test
    void aRetainedBufferIsNotReusedUntilReleased() throws IOException {
        byte[] data = seq(64);
        try (ReceiveInput in = new ReceiveInput(source(data, 64), false, 16, 3)) {
            assertThat(in.ensure(16)).isTrue();
            ByteBuffer first = in.take(16);
            Runnable release = in.retain();
            assertThat(in.ensure(16)).isTrue(); // moves on to a second buffer
            in.skip(16);
            assertThat(in.ensure(16)).isTrue(); // and a third: the first is still held
            assertThat(in.freeBuffers()).as("the second went back, the first is held").isEqualTo(1);
            assertThat(first.get(15)).as("the held slice is intact").isEqualTo((byte) 15);
            release.run();
            release.run(); // a second run does nothing
            assertThat(in.freeBuffers()).isEqualTo(2);
        }
    }

    @Test
    void ensureReadsALargeFrameOnlyToItsEndAndAFreshBufferTakesTheNext() throws IOException {
        int cap = 3 * ReceiveInput.READ_AHEAD;
        int big = 2 * ReceiveInput.READ_AHEAD; // larger than the read-ahead: read exactly
        byte[] data = new byte[big + 100];
        data[big] = 42;
        try (ReceiveInput in = new ReceiveInput(source(data, data.length), true, cap, 2)) {
            assertThat(in.ensure(big)).isTrue();
            assertThat(in.available()).as("nothing read past the frame").isEqualTo(big);
            in.skip(big);
            in.freshIfLessThan(big); // a third of the buffer left, nothing unread: start afresh, no copy
            assertThat(in.ensure(1)).isTrue();
            assertThat(in.peek().get(0)).isEqualTo((byte) 42);
            assertThat(in.available()).as("a small ask reads ahead").isEqualTo(100);
        }
    }

    @Test
    void misuseIsRefused() throws IOException {
        try (ReceiveInput in = new ReceiveInput(source(seq(8), 8), false, 16, 2)) {
            assertThatThrownBy(() -> in.ensure(17)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> in.skip(1)).isInstanceOf(IllegalArgumentException.class);
        }
        try (ReceiveInput in = new ReceiveInput(dst -> 0, false, 16, 2)) {
            assertThatThrownBy(() -> in.ensure(1)).isInstanceOf(IOException.class).hasMessageContaining("no bytes");
        }
        assertThatThrownBy(() -> new ReceiveInput(source(seq(1), 1), false, 16, 1))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void channelsAreUsedOnlyForStreamsWithoutTheirOwnBuffer() throws IOException {
        Path f = dir.resolve("f");
        Files.write(f, seq(10));
        try (FileInputStream fis = new FileInputStream(f.toFile());
             InputStream buffered = new java.io.BufferedInputStream(new FileInputStream(f.toFile()))) {
            assertThat(ReceiveInput.channelOf(fis)).isNotNull();
            assertThat(ReceiveInput.channelOf(buffered)).isNull();
            assertThat(ReceiveInput.channelOf(new ByteArrayInputStream(new byte[1]))).isNull();
        }
    }

    @RepeatedTest(5)
    void randomFramesReadBackExactly(RepetitionInfo info) throws IOException {
        long seed = 77L + info.getCurrentRepetition();
        Random r = new Random(seed);
        byte[] data = new byte[20_000];
        r.nextBytes(data);
        int at = 0;
        try (ReceiveInput in = new ReceiveInput(source(data, 1 + r.nextInt(300)), r.nextBoolean(), 512, 2)) {
            while (at < data.length) {
                int n = Math.min(1 + r.nextInt(512), data.length - at);
                assertThat(in.ensure(n)).as("seed %d", seed).isTrue();
                ByteBuffer s = in.take(n);
                byte[] got = new byte[n];
                s.get(got);
                assertThat(got).as("seed %d at %d", seed, at).isEqualTo(java.util.Arrays.copyOfRange(data, at, at + n));
                at += n;
            }
            assertThat(in.ensure(1)).isFalse();
        }
    }
}
