package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.ExitCodes;
import dev.jvz.image.Disk;
import dev.jvz.image.ImageException;
import dev.jvz.image.ImageLockedException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * How a command argument names a disk, and opening it with the CLI's messages.
 *
 * <p>ploop decides by the name: an argument ending in {@code .xml} is a DiskDescriptor.xml
 * ({@code is_xml_fname} in ploop's tools), anything else a delta file. jvz also takes the directory
 * that holds the descriptor, as {@link Disk#open} does.
 *
 * <p>Stateless and thread-safe.
 */
final class DiskArgs {
    private DiskArgs() {}

    /** True when {@code arg} names a DiskDescriptor.xml (a {@code .xml} file) or a directory holding one. */
    static boolean isDescriptor(Path arg) {
        return Files.isDirectory(arg) || arg.getFileName() != null
                && arg.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".xml");
    }

    /** The descriptor file {@code arg} names: itself, or DiskDescriptor.xml inside a directory. */
    static Path descriptorFile(Path arg) {
        Path p = arg.toAbsolutePath().normalize();
        return Files.isDirectory(p) ? p.resolve(Disk.DESCRIPTOR_NAME) : p;
    }

    /**
     * Opens and locks the disk of {@code arg}. When another process holds the lock (a node that has
     * the disk mounted, or another jvz command), the one-line message says what to do.
     */
    static Disk open(Path arg) throws IOException, ImageException {
        try {
            return Disk.open(arg);
        } catch (ImageLockedException e) {
            throw inUse(descriptorFile(arg), e);
        }
    }

    /** The failure for a -u UUID the descriptor does not have (exit 43, as ploop's SYSEXIT_NOSNAP). */
    static CliException noSnapshot(Path descriptor, String uuid) {
        return new CliException(ExitCodes.NO_SNAPSHOT, "no snapshot " + uuid + " in " + descriptor
                + "; run 'jvz ploop snapshot-list " + descriptor + "' to see them");
    }

    /** The locked-disk failure as the CLI words it, naming the holder's pid when the lock file tells it. */
    static ImageLockedException inUse(Path descriptor, ImageLockedException cause) {
        return new ImageLockedException(descriptor + " is in use (mounted?)" + holder(descriptor)
                + "; run 'jvz ploop umount " + descriptor + "' first, or use the node", cause);
    }

    /** " by pid N" from the lock file the holder wrote, or nothing. */
    private static String holder(Path descriptor) {
        Path lck = descriptor.resolveSibling(descriptor.getFileName() + ".lck");
        try {
            String s = Files.readString(lck, StandardCharsets.US_ASCII).strip();
            return s.matches("\\d{1,10}") ? " by pid " + s : "";
        } catch (IOException e) {
            return ""; // the pid only helps the message; the lock itself was the answer
        }
    }
}
