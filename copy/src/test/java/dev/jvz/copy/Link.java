package dev.jvz.copy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Two OS pipes (data and feedback) between a sender and a receiver thread, for tests. */
final class Link {
    final OutputStream senderOut;
    final InputStream senderFeedback;
    final InputStream receiverIn;
    final OutputStream receiverFeedback;

    Link() throws IOException {
        Pipe data = Pipe.open();
        Pipe back = Pipe.open();
        senderOut = Channels.newOutputStream(data.sink());
        receiverIn = Channels.newInputStream(data.source());
        receiverFeedback = Channels.newOutputStream(back.sink());
        senderFeedback = Channels.newInputStream(back.source());
    }

    Link(Transports.Duplex sender, Transports.Duplex receiver) {
        senderOut = sender.out();
        senderFeedback = sender.in();
        receiverIn = receiver.in();
        receiverFeedback = receiver.out();
    }

    /** Runs the receiver on its own thread; it closes its ends when done, as a receiver process would. */
    CompletableFuture<Receiver.Result> receive(Receiver receiver, Path target, Receiver.Options options) {
        CompletableFuture<Receiver.Result> f = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try {
                f.complete(receiver.receive(receiverIn, receiverFeedback, target, options));
            } catch (Throwable t) {
                f.completeExceptionally(t);
            } finally {
                try {
                    receiverIn.close();
                } catch (IOException ignored) {
                    // test teardown
                }
                try {
                    receiverFeedback.close();
                } catch (IOException ignored) {
                    // test teardown
                }
            }
        });
        return f;
    }

    static Receiver.Result await(CompletableFuture<Receiver.Result> f) throws Exception {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) throw ex;
            throw e;
        }
    }

    /** The receiver's failure, or an AssertionError if it succeeded. */
    static Throwable failure(CompletableFuture<Receiver.Result> f) throws Exception {
        try {
            f.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the receiver succeeded but should have failed");
    }
}
