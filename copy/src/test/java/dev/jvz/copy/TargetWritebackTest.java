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
 * on failure), the writeback hints every {@link AsyncTargetFile#WRITEBACK_BYTES}, and the hint itself.
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
}
