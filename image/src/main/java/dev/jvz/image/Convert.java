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
     * Creates {@code delta} from the raw file {@code raw}: virtual size = the raw size rounded up to
     * whole clusters. Refuses to overwrite {@code delta}; removes it again if the import fails.
     *
     * <p>Reading the raw file and writing the delta overlap ({@link CopyPipeline}); runs of data
     * clusters go to the engine as one write each.
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
                Image img = Image.open(delta, true)) {
            int cb = (int) img.clusterBytes();
            long[] dataAndZeros = new long[2];
            CopyPipeline pipe = new CopyPipeline(rawSize, cb);
            pipe.run((c, off, n) -> RawLayer.readFully(in, off, c.buf, raw), c -> {
                ByteBuffer b = c.buf;
                int n = c.length;
                int run = -1;
                for (int at = 0; at < n; at += cb) {
                    if (isZero(b.slice(at, Math.min(cb, n - at)))) {
                        dataAndZeros[1]++;
                        if (run >= 0) {
                            writeRun(img, c, run, at);
                            run = -1;
                        }
                    } else {
                        dataAndZeros[0] += cb;
                        if (run < 0) {
                            run = at;
                        }
                    }
                }
                if (run >= 0) {
                    int end = (int) Math.min((long) Math.ceilDiv(n, cb) * cb, b.capacity());
                    if (end > n) {
                        // The raw file ends inside this cluster: the rest of the disk reads as zeros.
                        b.limit(end);
                        Image.zero(b.slice(n, end - n));
                    }
                    writeRun(img, c, run, end);
                }
                progress.update(c.offset + n, rawSize);
            });
            img.flush();
            ok = true;
            return new Result(img.size(), dataAndZeros[0], dataAndZeros[1]);
        } finally {
            if (!ok) {
                Files.deleteIfExists(delta);
            }
        }
    }

    private static void writeRun(Image img, CopyPipeline.Chunk c, int from, int to) throws IOException {
        img.write(c.offset + from, c.buf.slice(from, to - from));
    }

    /**
     * Writes the disk's whole virtual content to {@code raw} (created, or truncated when
     * {@code overwrite}), leaving holes where the disk reads zeros: unallocated clusters, and all-zero
     * {@link #ZERO_BLOCK}s inside allocated ones. Reading the disk and writing the file overlap
     * ({@link CopyPipeline}); contiguous data goes out in one write. {@code img} is read from one
     * helper thread at a time while this runs.
     */
    public static Result export(BlockDevice img, long clusterBytes, Path raw, boolean overwrite, Progress progress)
            throws IOException {
        if (!overwrite) {
            Delta.requireAbsent(raw);
        }
        long size = img.size();
        int cb = Math.toIntExact(clusterBytes);
        Image image = img instanceof Image i ? i : null;
        long[] dataAndZeros = new long[2];
        try (FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            CopyPipeline pipe = new CopyPipeline(size, cb);
            pipe.run((c, off, n) -> readMapped(img, image, c, off, n, cb), c -> {
                writeNonZero(out, c, cb, dataAndZeros);
                progress.update(c.offset + c.length, size);
            });
            out.truncate(size);
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1);
            }
            out.force(true);
        }
        return new Result(size, dataAndZeros[0], dataAndZeros[1]);
    }

    /** Reader side of export: marks which clusters a layer holds and reads each run of them at once. */
    private static void readMapped(BlockDevice img, Image image, CopyPipeline.Chunk c, long off, int n, int cb)
            throws IOException {
        int clusters = Math.ceilDiv(n, cb);
        for (int i = 0; i < clusters; i++) {
            c.mapped[i] = image == null || image.layerOf(off / cb + i) >= 0;
        }
        for (int i = 0; i < clusters; ) {
            if (!c.mapped[i]) {
                i++;
                continue;
            }
            int j = i;
            while (j < clusters && c.mapped[j]) {
                j++;
            }
            int from = i * cb;
            int to = Math.min(j * cb, n);
            img.read(off + from, c.buf.slice(from, to - from));
            i = j;
        }
    }

    /** Writer side of export: writes the chunk's non-zero blocks, coalescing neighbours into one write. */
    private static void writeNonZero(FileChannel out, CopyPipeline.Chunk c, int cb,
            long[] dataAndZeros) throws IOException {
        int n = c.length;
        int run = -1;
        for (int at = 0, i = 0; at < n; at += cb, i++) {
            int clusterEnd = Math.min(at + cb, n);
            boolean anyData = false;
            if (c.mapped[i]) {
                for (int blk = at; blk < clusterEnd; blk += ZERO_BLOCK) {
                    int len = Math.min(ZERO_BLOCK, clusterEnd - blk);
                    if (isZero(c.buf.slice(blk, len))) {
                        if (run >= 0) {
                            writeFully(out, c.buf.slice(run, blk - run), c.offset + run);
                            run = -1;
                        }
                    } else {
                        anyData = true;
                        if (run < 0) {
                            run = blk;
                        }
                    }
                }
            } else if (run >= 0) {
                writeFully(out, c.buf.slice(run, at - run), c.offset + run);
                run = -1;
            }
            if (anyData) {
                dataAndZeros[0] += clusterEnd - at;
            } else {
                dataAndZeros[1]++;
            }
        }
        if (run >= 0) {
            writeFully(out, c.buf.slice(run, n - run), c.offset + run);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
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
