package dev.jvz.image;

import java.nio.file.Path;

/**
 * The image's inUse mark is set: it is open read-write elsewhere or was not closed cleanly, so it
 * must be checked before it is written again.
 */
public class ImageInUseException extends ImageException {
    private final Path path;

    public ImageInUseException(Path path) {
        super(path + ": image is marked in use (open elsewhere, or not closed cleanly); "
                + "if nothing else uses it, run 'jvz ploop check -d " + path + "' to check it and clear the mark");
        this.path = path;
    }

    public Path path() {
        return path;
    }
}
