package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An image that carries a format extension (ploop's CBT dirty bitmap, PLOOP-FORMAT.md section 1) in
 * a cluster the BAT does not reference, usually the last one. jvz does not maintain the extension, so
 * writing the image makes it stale, and the first allocation reuses that cluster for data; QEMU reads
 * the extension whenever extOffset is non-zero (block/parallels.c) and refuses an image whose
 * extension cluster holds anything else. Opening read-write must therefore drop the extension.
 */
class FormatExtensionTest {
    private static final int CLUSTER_SECTORS = 64;
    private static final long CB = CLUSTER_SECTORS * 512L;

    @TempDir
    Path dir;

    @Test
    void openingReadWriteDropsTheFormatExtensionBeforeItsClusterIsReused() throws Exception {
        Path p = dir.resolve("root.hdd");
        Image.create(p, new CreateOptions(CB * 8, CLUSTER_SECTORS, 2));
        try (Image img = Image.open(p, true)) {
            img.write(0, ByteBuffer.wrap(new byte[] {7}));
        }
        // Append an extension cluster after the data, as ploop does on a clean close with CBT.
        long extCluster = Files.size(p) / CB;
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer ext = ByteBuffer.allocate((int) CB).order(ByteOrder.LITTLE_ENDIAN);
            ext.putLong(0, PloopFormat.EXT_MAGIC);
            ch.write(ext, extCluster * CB);
            PloopHeader h = readHeader(ch, p);
            PloopHeader withExt = new PloopHeader(h.version(), h.heads(), h.cylinders(), h.clusterSectors(),
                    h.batEntries(), h.sizeInSectors(), PloopFormat.INUSE_CLOSED_WITH_EXT, h.firstBlockOffset(),
                    h.flags(), extCluster * CLUSTER_SECTORS);
            ch.write(withExt.encode(), 0);
        }
        // Read-only leaves it alone.
        try (Image ro = Image.open(p, false)) {
            assertThat(ro.topHeader().extOffset()).isEqualTo(extCluster * CLUSTER_SECTORS);
        }
        try (Image img = Image.open(p, true)) {
            assertThat(img.topHeader().extOffset()).as("dropped at open").isZero();
            img.write(3 * CB, ByteBuffer.wrap(new byte[] {9})); // takes the cluster the extension used
            assertThat(img.topDelta().lookup(3)).isEqualTo(extCluster * CB);
        }
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            PloopHeader h = readHeader(ch, p);
            assertThat(h.extOffset()).as("no extension pointing at a data cluster").isZero();
            assertThat(h.inUse()).isEqualTo(PloopFormat.INUSE_CLOSED);
        }
        try (Image ro = Image.open(p, false)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ro.read(3 * CB, b);
            assertThat(b.get(0)).isEqualTo((byte) 9);
        }
    }

    private static PloopHeader readHeader(FileChannel ch, Path p) throws Exception {
        ByteBuffer hb = ByteBuffer.allocate(PloopFormat.HEADER_SIZE);
        RawLayer.readFully(ch, 0, hb, p);
        return PloopHeader.decode(hb.flip(), p.toString());
    }
}
