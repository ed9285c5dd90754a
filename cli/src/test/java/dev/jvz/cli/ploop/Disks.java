package dev.jvz.cli.ploop;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import dev.jvz.image.Image;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;

/** Builds test disks (a directory with DiskDescriptor.xml) through the engine's public API. */
final class Disks {
    private Disks() {}

    static final long MIB = Images.MIB;

    /** A disk of {@code sizeMib} MiB with 1 MiB clusters in {@code dir}; returns its descriptor. */
    static Path create(Path dir, long sizeMib) throws Exception {
        Files.createDirectories(dir);
        try (Disk d = Disk.init(dir.resolve("root.hdd"), CreateOptions.of(sizeMib * MIB))) {
            return d.descriptorPath();
        }
    }

    /** Fills virtual cluster {@code cluster} with {@code value} through the disk's active stack. */
    static void write(Path xml, long cluster, int value) throws Exception {
        try (Disk d = Disk.open(xml); Image img = d.openImage(true)) {
            byte[] b = new byte[(int) MIB];
            Arrays.fill(b, (byte) value);
            img.write(cluster * MIB, ByteBuffer.wrap(b));
            img.flush();
        }
    }

    /** The first byte of virtual cluster {@code cluster} as the disk reads it. */
    static int read(Path xml, long cluster) throws Exception {
        try (Disk d = Disk.open(xml); Image img = d.openImage(false)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            img.read(cluster * MIB, b);
            return b.get(0);
        }
    }

    /** SHA-256 of a file, to prove a command did not change it. */
    static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }
}
