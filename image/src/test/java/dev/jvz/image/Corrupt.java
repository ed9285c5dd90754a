package dev.jvz.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;

/** Test helpers: build small images with known content and damage them byte by byte. */
final class Corrupt {
    private Corrupt() {}

    /** Header field offsets (PLOOP-FORMAT.md, section 1). */
    static final int TYPE = 16;
    static final int SECTORS = 28;
    static final int BAT_ENTRIES = 32;
    static final int SIZE = 36;
    static final int IN_USE = 44;
    static final int FIRST_BLOCK = 48;
    static final int FLAGS = 52;

    /** The byte virtual cluster {@code v} is filled with by {@link #make}. */
    static byte fill(int v) {
        return (byte) (0x41 + v);
    }

    /**
     * A closed, clean image of {@code clusters} virtual clusters whose first {@code written} clusters
     * are allocated in order and filled with {@link #fill}.
     */
    static Path make(Path p, int clusterSectors, int version, int clusters, int written) throws Exception {
        long cb = clusterSectors * 512L;
        Image.create(p, new CreateOptions(cb * clusters, clusterSectors, version));
        try (Image img = Image.open(p, true)) {
            for (int v = 0; v < written; v++) {
                byte[] b = new byte[(int) cb];
                Arrays.fill(b, fill(v));
                img.write(v * cb, ByteBuffer.wrap(b));
            }
        }
        return p;
    }

    static PloopHeader header(Path p) throws Exception {
        try (FileChannel ch = FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(PloopFormat.HEADER_SIZE);
            ch.read(b, 0);
            return PloopHeader.decode(b.flip(), p.toString());
        }
    }

    static int getInt(Path p, long off) throws IOException {
        try (FileChannel ch = FileChannel.open(p)) {
            ByteBuffer b = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, off);
            return b.getInt(0);
        }
    }

    static void putInt(Path p, long off, int v) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, v), off);
        }
    }

    static int bat(Path p, int i) throws IOException {
        return getInt(p, PloopFormat.HEADER_SIZE + 4L * i);
    }

    static void setBat(Path p, int i, int raw) throws IOException {
        putInt(p, PloopFormat.HEADER_SIZE + 4L * i, raw);
    }

    /** Raw BAT value naming file cluster {@code fileCluster} in this format version. */
    static int entry(int version, int clusterSectors, long fileCluster) {
        return (int) (version == 2 ? fileCluster : fileCluster * clusterSectors);
    }

    static void append(Path p, byte[] bytes) throws IOException {
        Files.write(p, bytes, StandardOpenOption.APPEND);
    }

    static void truncate(Path p, long size) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.WRITE)) {
            ch.truncate(size);
        }
    }

    static String sha256(Path p) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    /** The whole virtual disk, read through a read-only open. */
    static byte[] content(Path p) throws Exception {
        try (Image img = Image.open(p, false)) {
            ByteBuffer b = ByteBuffer.allocate((int) img.size());
            img.read(0, b);
            return b.array();
        }
    }

    /** One virtual cluster of a disk image read whole. */
    static byte[] cluster(byte[] disk, int v, long cb) {
        return Arrays.copyOfRange(disk, (int) (v * cb), (int) ((v + 1) * cb));
    }

    static byte[] filled(long cb, byte value) {
        byte[] b = new byte[(int) cb];
        Arrays.fill(b, value);
        return b;
    }
}
