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
     * Creates {@code delta} from the raw file {@code raw}: virtual size = the raw size rounded up to
     * whole clusters. Refuses to overwrite {@code delta}; removes it again if the import fails.
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
            long cb = img.clusterBytes();
            ByteBuffer buf = ByteBuffer.allocateDirect((int) cb);
            long data = 0;
            long zeros = 0;
            for (long off = 0; off < rawSize; off += cb) {
                buf.clear();
                int n = (int) Math.min(cb, rawSize - off);
                buf.limit(n);
                RawLayer.readFully(in, off, buf, raw);
                buf.flip();
                if (isZero(buf)) {
                    zeros++;
                } else {
                    if (n < cb) {
                        // The raw file ends inside this cluster: the rest of the disk reads as zeros.
                        buf.limit((int) cb);
                        Image.zero(buf.slice(n, (int) cb - n));
                    }
                    img.write(off, buf);
                    data += cb;
                }
                progress.update(Math.min(off + cb, rawSize), rawSize);
            }
            img.flush();
            ok = true;
            return new Result(img.size(), data, zeros);
        } finally {
            if (!ok) {
                Files.deleteIfExists(delta);
            }
        }
    }

    /**
     * Writes the disk's whole virtual content to {@code raw} (created, or truncated when
     * {@code overwrite}), leaving holes where the disk reads zeros.
     */
    public static Result export(BlockDevice img, long clusterBytes, Path raw, boolean overwrite, Progress progress)
            throws IOException {
        if (!overwrite) {
            Delta.requireAbsent(raw);
        }
        long size = img.size();
        long data = 0;
        long zeros = 0;
        try (FileChannel out = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.allocateDirect((int) clusterBytes);
            for (long off = 0; off < size; off += clusterBytes) {
                int n = (int) Math.min(clusterBytes, size - off);
                boolean mapped = !(img instanceof Image i) || i.layerOf(off / clusterBytes) >= 0;
                if (mapped) {
                    buf.clear().limit(n);
                    img.read(off, buf);
                    buf.flip();
                    if (!isZero(buf)) {
                        long pos = off;
                        while (buf.hasRemaining()) {
                            pos += out.write(buf, pos);
                        }
                        data += n;
                        progress.update(off + n, size);
                        continue;
                    }
                }
                zeros++;
                progress.update(off + n, size);
            }
            out.truncate(size);
            if (out.size() < size) {
                out.write(ByteBuffer.allocate(1), size - 1);
            }
            out.force(true);
        }
        return new Result(size, data, zeros);
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
