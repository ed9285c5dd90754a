package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.EnumSet;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's target file writes a block in pieces of at most {@link TargetFile#WRITE_PIECE} bytes
 * (one large pwrite cost ~5x the kernel CPU of the pieces, see the constant), without losing, moving or
 * copying a byte, and with short writes handled.
 */
class TargetWriteSplitTest {
    @TempDir
    Path dir;

    @RepeatedTest(20)
    void piecesAreBoundedContiguousAndCarryEveryByte(RepetitionInfo rep) throws IOException {
        long seed = 0x5eed0000L + rep.getCurrentRepetition();
        Random rnd = new Random(seed);
        int len = rnd.nextInt(3 * (1 << 20) + 1);
        int off = rnd.nextInt(64);
        byte[] data = new byte[len];
        rnd.nextBytes(data);
        ByteBuffer src = ByteBuffer.allocateDirect(off + len);
        src.position(off);
        src.put(data);
        src.position(off);
        long pos = rnd.nextLong(1L << 40);
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        long[] next = {pos};
        int[] calls = {0};
        TargetFile.writeInPieces(src, pos, (piece, p) -> {
            calls[0]++;
            assertThat(piece.remaining()).as("seed " + seed).isBetween(1, TargetFile.WRITE_PIECE);
            assertThat(p).as("seed " + seed + ": contiguous").isEqualTo(next[0]);
            int n = rnd.nextBoolean() ? piece.remaining() : 1 + rnd.nextInt(piece.remaining()); // short writes
            byte[] b = new byte[n];
            piece.get(b);
            got.writeBytes(b);
            next[0] += n;
            return n;
        });
        assertThat(got.toByteArray()).as("seed " + seed).isEqualTo(data);
        assertThat(src.position()).as("seed " + seed).isEqualTo(off + len);
        assertThat(calls[0]).as("seed " + seed).isGreaterThanOrEqualTo((len + TargetFile.WRITE_PIECE - 1) / TargetFile.WRITE_PIECE);
    }

    @Test
    void aMiBBlockFromAnInputBufferSliceLandsIntact() throws IOException {
        // as the jvz receiver hands it over: a 1 MiB slice 32 bytes into a larger direct buffer
        byte[] block = new byte[1 << 20];
        new Random(7).nextBytes(block);
        ByteBuffer input = ByteBuffer.allocateDirect(4 << 20);
        input.put(32, block);
        Path f = dir.resolve("t");
        try (TargetFile t = TargetFile.Opener.DEFAULT.open(f, EnumSet.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE))) {
            ByteBuffer slice = input.slice(32, block.length);
            t.writeFully(slice, 1 << 20);
            assertThat(slice.hasRemaining()).isFalse();
        }
        byte[] file = Files.readAllBytes(f);
        assertThat(file).hasSize(2 << 20);
        assertThat(java.util.Arrays.copyOfRange(file, 1 << 20, 2 << 20)).isEqualTo(block);
    }
}
