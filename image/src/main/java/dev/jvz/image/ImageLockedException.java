package dev.jvz.image;

/** Another process (or thread) holds the lock of a disk's DiskDescriptor.xml. */
public class ImageLockedException extends ImageException {
    public ImageLockedException(String message) {
        super(message);
    }

    public ImageLockedException(String message, Throwable cause) {
        super(message, cause);
    }
}
