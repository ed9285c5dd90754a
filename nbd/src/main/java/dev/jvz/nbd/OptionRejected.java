package dev.jvz.nbd;

/** An option the server answers with an error reply (the connection stays in the handshake). */
final class OptionRejected extends Exception {
    private final int replyType;

    OptionRejected(int replyType, String message) {
        super(message);
        this.replyType = replyType;
    }

    int replyType() {
        return replyType;
    }
}
