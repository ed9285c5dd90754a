package dev.jvz.cli.ploop;

import java.nio.file.Path;
import java.util.List;

/**
 * Turns an IMAGE argument into the deltas of a disk, base first. Every command that reads a disk
 * goes through here, so reading a whole snapshot chain from a DiskDescriptor.xml argument is a
 * change to this one method.
 *
 * <p>Stateless and thread-safe.
 */
final class ImageInput {
    private ImageInput() {}

    /** The deltas named by {@code argument}, base first; a delta file names itself alone. */
    static List<Path> deltas(Path argument) {
        return List.of(argument);
    }
}
