package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's file side: {@link AsyncTargetFile#writeOwned} (no copy, release after the write, also
 * on failure), the writeback hints every {@link AsyncTargetFile#WRITEBACK_BYTES} (the receiver's and
 * the local {@link FileSink}'s), and the hint itself.
 */
class TargetWritebackTest {
    @TempDir
    Path dir;

    /** Records writes and writeback hints; fails writes when told. Used by the writer thread only. */
    static final class Recording implements TargetFile {
        final List<Long> writes = new ArrayList<>();
        final AtomicInteger hints = new AtomicInteger();
        volatile boolean failWrites;

        @Override
        public void writeFully(ByteBuffer src, long pos) throws IOException {
            if (failWrites) {
                throw new IOException("No space left on device");
            }
            writes.add(pos);
            src.position(src.limit());
        }

        @Override
        public void startWriteback() {
            hints.incrementAndGet();
        }

        @Override
        public void force() {}

        @Override
        public long size() {
            return 0;
        }

        @Override
        public void truncate(long size) {}

        @Override
        public int read(ByteBuffer dst, long pos) {
            return -1;
        }

        @Override
        public void close() {}
    }

    @Test
    void ownedBuffersAreWrittenWithoutACopyAndReleasedAfterwards() throws IOException {
        Recording r = new Recording();
        AtomicInteger released = new AtomicInteger();
        ByteBuffer mine = ByteBuffer.allocateDirect(4096);
        AsyncTargetFile f = new AsyncTargetFile(r);
        for (int i = 0; i < 100; i++) {
            f.writeOwned(mine.duplicate(), i * 4096L, released::incrementAndGet);
        }
        f.force(); // waits for the queue
        assertThat(released).hasValue(100);
        assertThat(r.writes).hasSize(100).startsWith(0L, 4096L);
        f.close();
    }

    @Test
    void aFailedWriteIsThrownByTheNextCallAndLaterBuffersAreStillReleased() throws IOException {
        Recording r = new Recording();
        r.failWrites = true;
        AtomicInteger released = new AtomicInteger();
        AsyncTargetFile f = new AsyncTargetFile(r);
        f.writeOwned(ByteBuffer.allocate(10), 0, released::incrementAndGet);
        assertThatThrownBy(f::force).hasMessageContaining("No space left on device");
        // refused at once now: released by the call itself
        assertThatThrownBy(() -> f.writeOwned(ByteBuffer.allocate(10), 10, released::incrementAndGet))
                .isInstanceOf(IOException.class);
        assertThat(released).hasValue(2);
        assertThatThrownBy(f::close).isInstanceOf(IOException.class);
    }

    @Test
    void aWritebackHintFollowsEveryWritebackBytes() throws IOException {
        Recording r = new Recording();
        AsyncTargetFile f = new AsyncTargetFile(r);
        ByteBuffer block = ByteBuffer.allocate(AsyncTargetFile.BUFFER);
        long blocks = 3 * AsyncTargetFile.WRITEBACK_BYTES / AsyncTargetFile.BUFFER + 1;
        for (long i = 0; i < blocks; i++) {
            f.writeOwned(block.duplicate(), i * AsyncTargetFile.BUFFER, () -> {});
        }
        f.force();
        assertThat(r.hints).hasValue(3);
        f.close();
    }

    @Test
    void channelTargetWritesBackInTheBackgroundAndKeepsTheData() throws IOException {
        Path p = dir.resolve("t");
        TargetFile t = TargetFile.Opener.DEFAULT.open(p, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
        t.writeFully(ByteBuffer.wrap(new byte[] {1, 2, 3}), 0);
        t.startWriteback();
        t.writeFully(ByteBuffer.wrap(new byte[] {4}), 3);
        t.startWriteback();
        t.force();
        t.close();
        t.startWriteback(); // after close: ignored
        assertThat(Files.readAllBytes(p)).containsExactly(1, 2, 3, 4);
    }

    @Test
    void openingTheTargetLeavesTheHintToTheHintThread() throws IOException {
        // The native linker's start-up (~0.1 s in a fresh JVM) must not delay the receiver's HELLO answer.
        Path p = dir.resolve("lazy");
        TargetFile t = TargetFile.Opener.DEFAULT.open(p, java.util.Set.of(StandardOpenOption.CREATE_NEW,
                StandardOpenOption.READ, StandardOpenOption.WRITE));
        assertThat(t).isInstanceOf(TargetFile.ChannelTarget.class);
        assertThat(((TargetFile.ChannelTarget) t).hintOpened()).isFalse();
        t.close();
        assertThat(p).exists();
    }

    @Test
    void writebackHintsReachTheKernelOnLinuxWithNativeAccess() throws IOException {
        Path p = dir.resolve("h");
        Files.write(p, new byte[8192]);
        try (WritebackHint h = WritebackHint.open(p)) {
            // surefire enables native access (pom argLine), as bin/jvz does
            assertThat(h.active()).isEqualTo(System.getProperty("os.name").startsWith("Linux"));
            h.start();
        }
        try (WritebackHint none = WritebackHint.open(dir.resolve("missing"))) {
            assertThat(none.active()).as("open failed: a hint that does nothing").isFalse();
            none.start();
        }
    }

    /** Passes everything to a real target; counts the writeback hints, and throws on them when told. */
    static final class HintSpy extends ForwardingTarget {
        final boolean failHints;
        final AtomicInteger hints = new AtomicInteger();
        long written; // bytes passed to writeFully so far
        final List<Long> writtenAtHint = new ArrayList<>();

        HintSpy(TargetFile delegate, boolean failHints) {
            super(delegate);
            this.failHints = failHints;
        }

        @Override
        public void writeFully(ByteBuffer src, long pos) throws IOException {
            written += src.remaining();
            delegate.writeFully(src, pos);
        }

        @Override
        public void startWriteback() {
            hints.incrementAndGet();
            writtenAtHint.add(written);
            if (failHints) {
                throw new IllegalStateException("writeback hint failed");
            }
            delegate.startWriteback();
        }
    }

    @Test
    void fileSinkAsksForAWritebackHintEveryWritebackBytes() throws IOException {
        Recording r = new Recording();
        ByteBuffer block = ByteBuffer.allocateDirect(1 << 20);
        long blocks = 3 * AsyncTargetFile.WRITEBACK_BYTES / block.capacity() + 1;
        try (FileSink sink = new FileSink(dir.resolve("hinted"), (p, o) -> r)) {
            for (long i = 0; i < blocks; i++) {
                sink.write(i * block.capacity(), block.duplicate());
                // asked as soon as each further WRITEBACK_BYTES are written, not later
                assertThat(r.hints).as("after block %d", i)
                        .hasValue((int) ((i + 1) * block.capacity() / AsyncTargetFile.WRITEBACK_BYTES));
            }
            // odd sizes too: the count is of bytes, not of calls
            r.hints.set(0);
            ByteBuffer odd = ByteBuffer.allocate(1_000_003);
            long pos = blocks * block.capacity();
            long oddWrites = AsyncTargetFile.WRITEBACK_BYTES / odd.capacity() + 1;
            for (long i = 0; i < oddWrites; i++) {
                sink.write(pos, odd.duplicate());
                pos += odd.capacity();
            }
            sink.sync();
            assertThat(r.hints).hasValue(1);
            sink.finish();
        }
        assertThat(r.writes).hasSize((int) (blocks + AsyncTargetFile.WRITEBACK_BYTES / 1_000_003 + 1));
    }

    @Test
    void fileSinkHintsTheRealTargetAndKeepsEveryByte() throws IOException {
        byte[] mib = new byte[1 << 20];
        new java.util.Random(11).nextBytes(mib);
        Path p = dir.resolve("real");
        HintSpy[] spy = new HintSpy[1];
        int blocks = (int) (AsyncTargetFile.WRITEBACK_BYTES / mib.length) + 1;
        try (FileSink sink = new FileSink(p, (path, o) -> spy[0] = new HintSpy(TargetFile.Opener.DEFAULT.open(path, o), false))) {
            assertThat(spy[0].delegate).isInstanceOf(TargetFile.ChannelTarget.class);
            for (int i = 0; i < blocks; i++) {
                sink.write((long) i * mib.length, ByteBuffer.wrap(mib));
            }
            sink.finish();
        }
        assertThat(spy[0].writtenAtHint).containsExactly(AsyncTargetFile.WRITEBACK_BYTES);
        assertFileIsBlocks(p, mib, blocks);
    }

    @Test
    void aFailingWritebackHintNeverFailsTheFileCopy() throws IOException {
        byte[] mib = new byte[1 << 20];
        new java.util.Random(12).nextBytes(mib);
        Path p = dir.resolve("hintfails");
        HintSpy[] spy = new HintSpy[1];
        int blocks = (int) (2 * AsyncTargetFile.WRITEBACK_BYTES / mib.length) + 1;
        try (FileSink sink = new FileSink(p, (path, o) -> spy[0] = new HintSpy(TargetFile.Opener.DEFAULT.open(path, o), true))) {
            for (int i = 0; i < blocks; i++) {
                sink.write((long) i * mib.length, ByteBuffer.wrap(mib));
            }
            sink.sync();
            // the final digest check reads the file back: it must be complete
            java.security.MessageDigest md = Digests.sha256();
            for (int i = 0; i < blocks; i++) {
                md.update(mib);
            }
            sink.finish(new FinalImage((long) blocks * mib.length, md.digest()));
        }
        assertThat(spy[0].hints).as("asked, and it threw each time").hasValue(2);
        assertFileIsBlocks(p, mib, blocks);
    }

    private static void assertFileIsBlocks(Path p, byte[] mib, int blocks) throws IOException {
        assertThat(Files.size(p)).isEqualTo((long) blocks * mib.length);
        try (var ch = java.nio.channels.FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(mib.length);
            for (int i = 0; i < blocks; i++) {
                b.clear();
                while (b.hasRemaining() && ch.read(b, (long) i * mib.length + b.position()) > 0) {
                    // read the whole block
                }
                assertThat(b.array()).as("block %d", i).isEqualTo(mib);
            }
        }
    }
}
