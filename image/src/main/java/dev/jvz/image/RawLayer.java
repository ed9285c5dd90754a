package dev.jvz.image;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A raw ("Plain") base image: virtual offset = file offset. Every cluster counts as present, so
 * nothing below it is ever read; bytes past the end of a short file read as zeros.
 *
 * <p>Thread-safe: positional I/O only.
 */
final class RawLayer implements Layer {
    private final Path path;
    private final FileChannel ch;
    private final long clusterBytes;
    private final boolean writable;

    RawLayer(Path path, long clusterBytes, boolean writable) throws IOException {
        this.path = path;
        this.clusterBytes = clusterBytes;
        this.writable = writable;
        this.ch = writable
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ);
    }

    @Override
    public long lookup(long cluster) {
        return cluster * clusterBytes;
    }

    @Override
    public void readAt(long fileOffset, ByteBuffer dst) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, fileOffset);
            if (n < 0) {
                // A sparse raw file may be shorter than the disk: the rest is zeros.
                while (dst.hasRemaining()) {
                    dst.put((byte) 0);
                }
                return;
            }
            fileOffset += n;
        }
    }

    void writeAt(long fileOffset, ByteBuffer src) throws IOException {
        while (src.hasRemaining()) {
            fileOffset += ch.write(src, fileOffset);
        }
    }

    void flush() throws IOException {
        ch.force(false);
    }

    long fileSize() throws IOException {
        return ch.size();
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    @Override
    public void close() throws IOException {
        ch.close();
    }

    static void readFully(FileChannel ch, long pos, ByteBuffer dst, Path path) throws IOException {
        while (dst.hasRemaining()) {
            int n = ch.read(dst, pos);
            if (n < 0) {
                throw new EOFException(path + ": unexpected end of file at offset " + pos);
            }
            pos += n;
        }
    }
}
