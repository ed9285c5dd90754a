package dev.jvz.image;

/** DiskDescriptor.xml is malformed or describes an impossible stack (cycle, missing file...). */
public class DescriptorException extends ImageException {
    public DescriptorException(String message) {
        super(message);
    }

    public DescriptorException(String message, Throwable cause) {
        super(message, cause);
    }
}
