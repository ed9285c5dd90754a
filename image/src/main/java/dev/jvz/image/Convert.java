package dev.jvz.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Import of a raw disk file into a new delta, and export of a disk to a raw file.
 *
 * <p>Both keep zeros sparse: an all-zero cluster of the raw file stays unallocated in the delta, and
 * unallocated or all-zero clusters of the disk become holes in the raw file. Not thread-safe; each call
 * owns its files.
 */
public final class Convert {
    private Convert() {}

    /** What an import or export moved. */
    public record Result(long virtualBytes, long dataBytes, long zeroClusters) {}

    /**
     * Export leaves all-zero runs of this size as holes even inside a data cluster: the page size, the
     * unit a file system allocates in (qemu-img convert's default -S 4k does the same).
     */
    static final int ZERO_BLOCK = 4096;
    /**
     * Bytes moved per read/write call. Small on purpose: the data passes through the user buffer
     * between the kernel's copy in (read) and copy out (write), and a buffer that stays in the CPU's
     * L2 cache makes the second copy cheap. Measured on the benchmark machine (BENCHMARKS.md), a
     * 128 KiB buffer spent a third of the kernel time of a 4 MiB one for the same file copy. Kernel
     * readahead and page-cache writeback already overlap the disk I/O with the copying, so a single
     * thread suffices. A divisor of every cluster size (32 KiB..64 MiB) or a multiple of it.
     */
    static final int IO_BYTES = 128 << 10;
    /**
     * How far ahead of the copy the kernel is asked to read ({@link ReadAhead}), and in what steps:
     * enough to keep a disk's queue busy through one step of copying (tens of MiB at GB/s).
     */
    static final long READ_AHEAD = 32L << 20;
    static final long READ_AHEAD_STEP = 8L << 20;

    /**
     * Creates {@code delta} from the raw file {@code raw}: virtual size = the raw size rounded up to
     * whole clusters. Refuses to overwrite {@code delta}; removes it again if the import fails.
     *
     * <p>Streams the raw file in {@link #IO_BYTES} pieces, skipping its holes without reading them
     * (where the file system reports them); an all-zero piece is not written, so a
     * cluster whose pieces are all zero stays unallocated, and zero pieces inside a data cluster stay
     * holes in the delta file (they read as zeros).
     */
    public static Result importRaw(Path raw, Path delta, int clusterSectors, int version, Progress progress)
            throws IOException, ImageException {
        long rawSize = Files.size(raw);
        if (rawSize == 0) {
            throw new ImageException(raw + " is empty; nothing to import");
        }
        Image.create(delta, new CreateOptions(rawSize, clusterSectors, version));
        boolean ok = false;
        try (FileChannel in = FileChannel.open(raw, StandardOpenOption.READ);
                ReadAhead ahead = ReadAhead.open(raw);
                Image img = Image.open(delta, true)) {
            long cb = img.clusterBytes();
            ahead.willNeed(0, READ_AHEAD);
            int piece = (int) Math.min(IO_BYTES, cb);
            ByteBuffer buf = ioBuffer(piece);
            long dataClusters = 0;
            long lastDataCluster = -1;
            long dataEnd = 0; // the raw file holds data (or unknown) up to here: read without asking
            for (long off = 0; off < rawSize; off += piece) {
                int n = (int) Math.min(piece, rawSize - off);
                if (off >= dataEnd) {
                    long[] run = ahead.nextData(off);
                    if (run == null) {
                        dataEnd = Long.MAX_VALUE; // unknown: read the rest
                    } else if (run[0] >= off + n) {
                        // A hole covers this piece: it reads as zeros, skip to the piece holding data.
                        long next = run[0] - run[0] % piece;
                        progress.update(Math.min(next, rawSize), rawSize);
                        off = next - piece;
                        continue;
                    } else {
                        dataEnd = run[1];
                    }
                }
                if (off % READ_AHEAD_STEP == 0) {
                    ahead.willNeed(off + READ_AHEAD, READ_AHEAD_STEP);
                }
                buf.clear().limit(n);
                RawLayer.readFully(in, off, buf, raw);
                buf.flip();
                if (!isZero(buf)) {
                    img.write(off, buf);
                    long cluster = off / cb;
                    if (cluster != lastDataCluster) {
                        dataClusters++;
                        lastDataCluster = cluster;
                    }
                }
                progress.update(off + n, rawSize);
            }
            img.flush();
            ok = true;
            return new Result(img.size(), dataClusters * cb, img.clusters() - dataClusters);
        } finally {
            if (!ok) {
                Files.deleteIfExists(delta);
            }
        }
    }

    /**
     * Writes the disk's whole virtual content to {@code raw} (created, or truncated when
     * {@code overwrite}), leaving holes where the disk reads zeros: unallocated clusters (not even
     * read), and all-zero {@link #ZERO_BLOCK}s inside allocated ones. Neighbouring non-zero blocks go
     * out in one write.
     */
    public static Result export(BlockDevice img, long clusterBytes, Path raw, boolean overwrite, Progress progress)
            throws IOException {
        if (!overwrite) {
            Delta.requireAbsent(raw);
        }
        long size = img.size();
        Image image = img instanceof Image i ? i : null;
        int piece = (int) Math.min(IO_BYTES, clusterBytes);
        ByteBuffer buf = ioBuffer(piece);
        long data = 0;
        long zeros = 0;
        long aheadClusters = Math.max(1, READ_AHEAD / clusterBytes);
        try (FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
                LayerReadAhead ahead = new LayerReadAhead(image)) {
            for (long c = 0; c < aheadClusters; c++) {
                ahead.willNeed(c);
            }
            for (long cOff = 0; cOff < size; cOff += clusterBytes) {
                long cEnd = Math.min(cOff + clusterBytes, size);
                ahead.willNeed(cOff / clusterBytes + aheadClusters);
                boolean anyData = false;
                if (image == null || image.layerOf(cOff / clusterBytes) >= 0) {
                    for (long off = cOff; off < cEnd; off += piece) {
                        int n = (int) Math.min(piece, cEnd - off);
                        buf.clear().limit(n);
                        img.read(off, buf);
                        anyData |= writeNonZero(out, buf.flip(), off);
                    }
                }
                if (anyData) {
                    data += cEnd - cOff;
                } else {
                    zeros++;
                }
                progress.update(cEnd, size);
            }
            out.truncate(size);
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1);
            }
            out.force(true);
        }
        return new Result(size, data, zeros);
    }

    /** Read-ahead hints for the cluster files of an image stack, one descriptor per layer opened on use. */
    private static final class LayerReadAhead implements AutoCloseable {
        private final Image image;
        private final ReadAhead[] perLayer;

        LayerReadAhead(Image image) {
            this.image = image;
            this.perLayer = new ReadAhead[image == null ? 0 : image.depth()];
        }

        void willNeed(long cluster) {
            if (image == null || cluster >= image.clusters()) {
                return;
            }
            int layer = image.layerOf(cluster);
            if (layer < 0) {
                return;
            }
            Layer l = image.layers().get(layer);
            if (perLayer[layer] == null) {
                perLayer[layer] = ReadAhead.open(l.path());
            }
            perLayer[layer].willNeed(l.lookup(cluster), image.clusterBytes());
        }

        @Override
        public void close() {
            for (ReadAhead r : perLayer) {
                if (r != null) {
                    r.close();
                }
            }
        }
    }

    /** Writes the non-zero {@link #ZERO_BLOCK}s of {@code b} at {@code pos}, runs at once; true if any. */
    private static boolean writeNonZero(FileChannel out, ByteBuffer b, long pos) throws IOException {
        int n = b.limit();
        int run = -1;
        boolean any = false;
        for (int blk = 0; blk < n; blk += ZERO_BLOCK) {
            int len = Math.min(ZERO_BLOCK, n - blk);
            if (isZero(b.slice(blk, len))) {
                if (run >= 0) {
                    writeFully(out, b.slice(run, blk - run), pos + run);
                    run = -1;
                }
            } else {
                any = true;
                if (run < 0) {
                    run = blk;
                }
            }
        }
        if (run >= 0) {
            writeFully(out, b.slice(run, n - run), pos + run);
        }
        return any;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }

    /** A page-aligned direct buffer: the kernel copies to and from it at full speed. */
    static ByteBuffer ioBuffer(int bytes) {
        return ByteBuffer.allocateDirect(bytes + ZERO_BLOCK).alignedSlice(ZERO_BLOCK).limit(bytes).slice();
    }

    private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 16);

    /** True when every remaining byte is zero; does not move the position. */
    static boolean isZero(ByteBuffer b) {
        int pos = b.position();
        int end = b.limit();
        while (pos < end) {
            int n = Math.min(end - pos, ZEROS.capacity());
            if (b.slice(pos, n).mismatch(ZEROS.slice(0, n)) >= 0) {
                return false;
            }
            pos += n;
        }
        return true;
    }
}
