package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Writes the copy straight into a local file ({@code -d FILE}, like ploop's local_write): positional
 * writes, fdatasync on {@link #sync()} and {@link #finish()}. The file must not exist; after a close
 * without finish it is removed. Not thread-safe: one sender thread.
 */
public final class FileSink implements CopySink {
    private final Path path;
    private final FileChannel ch;
    private boolean finished;
    private boolean closed;

    public FileSink(Path path) throws IOException {
        this.path = path;
        this.ch = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
                StandardOpenOption.READ);
    }

    @Override
    public void write(long pos, ByteBuffer data) throws IOException {
        if (closed) {
            throw new IOException("file sink for " + path + " is closed");
        }
        // In pieces for the same reason as the receiver (TargetFile.WRITE_PIECE): pass 1 hands whole 1 MiB blocks.
        TargetFile.writeInPieces(data, pos, ch::write);
    }

    @Override
    public void sync() throws IOException {
        ch.force(false);
    }

    @Override
    public void finish() throws IOException {
        ch.force(false);
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
        if (ch.size() > expected.length()) {
            ch.truncate(expected.length());
        }
        ch.force(false);
        byte[] mine = expected.rangeSize() == 0 ? Digests.sha256(ch, 0, expected.length())
                : Digests.rangeListSha256(ch::read, expected.length(), expected.rangeSize());
        if (!java.security.MessageDigest.isEqual(mine, expected.sha256()) || ch.size() != expected.length()) {
            throw new ChecksumMismatchException("final image digest mismatch: the source's is " + expected.hex()
                    + ", " + path + " (" + ch.size() + " bytes) has " + java.util.HexFormat.of().formatHex(mine)
                    + "; the copy is not valid (a disk or memory error?); run it again", -1);
        }
        finished = true;
        close();
    }

    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        ch.close();
        if (!finished) {
            Files.deleteIfExists(path);
        }
    }
}
