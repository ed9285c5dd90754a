package dev.jvz.image;

/**
 * A write tracker cannot do what was asked: another tracker already watches the image, dirty extents
 * are still unread at {@link WriteTracker#stop()}, or tracking was aborted and the copy must restart.
 */
public class WriteTrackerException extends ImageException {
    public WriteTrackerException(String message) {
        super(message);
    }
}
