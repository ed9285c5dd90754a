package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's file side: {@link AsyncTargetFile#writeOwned} (no copy, release after the write, also
 * on failure), the writeback hints every {@link AsyncTargetFile#WRITEBACK_BYTES}, and a failed
 * background fdatasync reported by the next {@code force()} (the kernel reports a writeback error to
 * one fdatasync only).
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
    void aFailedBackgroundFdatasyncIsThrownByTheNextForce() throws Exception {
        Path p = dir.resolve("t");
        CountDownLatch failed = new CountDownLatch(1);
        try (FileChannel real = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            // The first fdatasync fails (the background one), every later one succeeds: as the kernel
            // reports a writeback error once per open file.
            FileChannel once = new DelegatingChannel(real) {
                private boolean first = true;

                @Override
                public void force(boolean metaData) throws IOException {
                    if (first) {
                        first = false;
                        failed.countDown();
                        throw new IOException("Input/output error");
                    }
                    super.force(metaData);
                }
            };
            TargetFile.ChannelTarget t = new TargetFile.ChannelTarget(once);
            t.startWriteback();
            assertThat(failed.await(10, TimeUnit.SECONDS)).isTrue();
            t.close(); // joins the flusher, so its failure is recorded before force below
            assertThatThrownBy(t::force).hasMessageContaining("writing the copy back to disk failed")
                    .hasRootCauseMessage("Input/output error");
        }
    }

    /** A FileChannel that forwards to another; tests override one method. */
    static class DelegatingChannel extends FileChannel {
        private final FileChannel d;

        DelegatingChannel(FileChannel d) {
            this.d = d;
        }

        @Override public int read(ByteBuffer dst) throws IOException { return d.read(dst); }
        @Override public long read(ByteBuffer[] dsts, int off, int len) throws IOException { return d.read(dsts, off, len); }
        @Override public int write(ByteBuffer src) throws IOException { return d.write(src); }
        @Override public long write(ByteBuffer[] srcs, int off, int len) throws IOException { return d.write(srcs, off, len); }
        @Override public long position() throws IOException { return d.position(); }
        @Override public FileChannel position(long p) throws IOException { d.position(p); return this; }
        @Override public long size() throws IOException { return d.size(); }
        @Override public FileChannel truncate(long size) throws IOException { d.truncate(size); return this; }
        @Override public void force(boolean metaData) throws IOException { d.force(metaData); }
        @Override public long transferTo(long pos, long n, WritableByteChannel t) throws IOException { return d.transferTo(pos, n, t); }
        @Override public long transferFrom(ReadableByteChannel s, long pos, long n) throws IOException { return d.transferFrom(s, pos, n); }
        @Override public int read(ByteBuffer dst, long pos) throws IOException { return d.read(dst, pos); }
        @Override public int write(ByteBuffer src, long pos) throws IOException { return d.write(src, pos); }
        @Override public MappedByteBuffer map(MapMode m, long pos, long n) throws IOException { return d.map(m, pos, n); }
        @Override public FileLock lock(long pos, long n, boolean shared) throws IOException { return d.lock(pos, n, shared); }
        @Override public FileLock tryLock(long pos, long n, boolean shared) throws IOException { return d.tryLock(pos, n, shared); }
        @Override protected void implCloseChannel() {}
    }
}
