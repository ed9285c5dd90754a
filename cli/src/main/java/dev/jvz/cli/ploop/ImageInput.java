package dev.jvz.cli.ploop;

import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns an IMAGE argument into the files of a disk, base first. Every command that reads a disk
 * goes through here: a delta file names itself alone; a DiskDescriptor.xml (or the directory that
 * holds it, see {@link DiskArgs#isDescriptor}) names its active chain, from the base up to the top,
 * where the base may be a raw ("Plain") file.
 *
 * <p>The descriptor is read without taking the disk lock ({@link Disk#readDescriptor}), so this also
 * works while the disk is mounted; commands that need the chain to stay put open the {@link Disk}.
 *
 * <p>Stateless and thread-safe.
 */
final class ImageInput {
    private ImageInput() {}

    /**
     * One file of a disk.
     *
     * @param file the file
     * @param raw true for a raw ("Plain") base, false for a ploop delta
     */
    record Layer(Path file, boolean raw) {}

    /** The files named by {@code argument}, base first. */
    static List<Layer> chain(Path argument) throws IOException, ImageException {
        if (!DiskArgs.isDescriptor(argument)) {
            return List.of(new Layer(argument, false));
        }
        Path xml = DiskArgs.descriptorFile(argument);
        DiskDescriptor d = Disk.readDescriptor(xml);
        List<Layer> out = new ArrayList<>();
        List<DiskDescriptor.ImageEntry> active = d.activeChain();
        for (int i = 0; i < active.size(); i++) {
            DiskDescriptor.ImageEntry e = active.get(i);
            boolean raw = i == 0 && e.type() == DiskDescriptor.ImageType.PLAIN;
            out.add(new Layer(xml.getParent().resolve(e.file()), raw));
        }
        return out;
    }
}
