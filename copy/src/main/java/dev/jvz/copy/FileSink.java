package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;

/**
 * Writes the copy straight into a local file ({@code -d FILE}, like ploop's local_write): positional
 * writes, fdatasync on {@link #sync()} and {@link #finish()}. The file must not exist; after a close
 * without finish it is removed.
 *
 * <p>The file is the receiver's {@link TargetFile.ChannelTarget}, so it writes the same way: in pieces
 * of at most {@link TargetFile#WRITE_PIECE} (pass 1 hands whole 1 MiB blocks), and it asks for a
 * writeback hint after every {@link AsyncTargetFile#WRITEBACK_BYTES} written. Without the hint a fresh
 * 2 GiB copy stayed in the page cache (below the kernel's dirty background threshold) and the whole
 * disk write happened serially in the fdatasync before the freeze, after pass 1 (BENCHMARKS.md, live
 * copy, "Pass 1, one JVM"). With it the write-back overlaps pass 1 and that fdatasync is short; on
 * the bench's single disk (source and copy on one virtio disk) pass 1 slowed by as much, so the copy
 * did not get faster there ("FileSink with the writeback hint"). The hint is only a hint: if it
 * fails, the copy goes on and the fdatasync writes what is left.
 *
 * <p>Not thread-safe: one sender thread (the target's own hint thread is internal to it).
 */
public final class FileSink implements CopySink {
    private final Path path;
    private final TargetFile file;
    /** Bytes written since the last writeback hint. */
    private long sinceWriteback;
    private boolean finished;
    private boolean closed;

    public FileSink(Path path) throws IOException {
        this(path, TargetFile.Opener.DEFAULT);
    }

    /** For tests: {@code opener} makes the file (e.g. one that records the writeback hints). */
    FileSink(Path path, TargetFile.Opener opener) throws IOException {
        this.path = path;
        this.file = opener.open(path, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ));
    }

    @Override
    public void write(long pos, ByteBuffer data) throws IOException {
        if (closed) {
            throw new IOException("file sink for " + path + " is closed");
        }
        int n = data.remaining();
        file.writeFully(data, pos);
        sinceWriteback += n;
        if (sinceWriteback >= AsyncTargetFile.WRITEBACK_BYTES) {
            sinceWriteback = 0;
            try {
                file.startWriteback();
            } catch (RuntimeException e) {
                // Only a hint (ChannelTarget's never throws): the fdatasync before the freeze writes the rest.
            }
        }
    }

    @Override
    public void sync() throws IOException {
        file.force();
    }

    @Override
    public void finish() throws IOException {
        file.force();
        finished = true;
        close();
    }

    @Override
    public int digestRangeSize() {
        return JvzFormat.DEFAULT_RANGE;
    }

    /**
     * Truncates to {@code expected.length()}, fdatasyncs, reads the file back and compares its digest;
     * a mismatch fails (the file is removed at close, as after any failure).
     */
    @Override
    public void finish(FinalImage expected) throws IOException {
        if (expected == null) {
            finish();
            return;
        }
        if (file.size() > expected.length()) {
            file.truncate(expected.length());
        }
        file.force();
        byte[] mine = expected.rangeSize() == 0 ? Digests.sha256(file, 0, expected.length())
                : Digests.rangeListSha256(file, expected.length(), expected.rangeSize());
        long size = file.size();
        if (!java.security.MessageDigest.isEqual(mine, expected.sha256()) || size != expected.length()) {
            throw new ChecksumMismatchException("final image digest mismatch: the source's is " + expected.hex()
                    + ", " + path + " (" + size + " bytes) has " + java.util.HexFormat.of().formatHex(mine)
                    + "; the copy is not valid (a disk or memory error?); run it again", -1);
        }
        finished = true;
        close();
    }

    /** Closes the file (after its hint thread); removes it unless the copy finished. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        file.close();
        if (!finished) {
            Files.deleteIfExists(path);
        }
    }
}
