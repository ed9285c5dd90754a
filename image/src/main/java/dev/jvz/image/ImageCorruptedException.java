package dev.jvz.image;

/** The on-disk data violates the format (bad header, BAT entry past EOF, duplicate clusters...). */
public class ImageCorruptedException extends ImageException {
    public ImageCorruptedException(String message) {
        super(message);
    }

    public ImageCorruptedException(String message, Throwable cause) {
        super(message, cause);
    }
}
