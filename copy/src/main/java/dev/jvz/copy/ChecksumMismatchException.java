package dev.jvz.copy;

/** A block's CRC32C (or the final image digest) differs from what the sender computed. */
public final class ChecksumMismatchException extends CopyProtocolException {
    private final long offset;

    public ChecksumMismatchException(String message, long offset) {
        super(message);
        this.offset = offset;
    }

    /** Image file offset of the mismatching block, or -1 for a whole-image digest mismatch. */
    public long offset() {
        return offset;
    }
}
