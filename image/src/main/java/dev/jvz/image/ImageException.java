package dev.jvz.image;

/**
 * Base of the image layer's checked exceptions: something about an image, descriptor or stack that
 * the user can act on. Every message says what is wrong and, where there is one, what to do next.
 */
public class ImageException extends Exception {
    public ImageException(String message) {
        super(message);
    }

    public ImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
