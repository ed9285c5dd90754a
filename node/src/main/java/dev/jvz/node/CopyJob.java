package dev.jvz.node;

import dev.jvz.copy.CopyProtocolException;
import dev.jvz.copy.CopyReport;
import dev.jvz.copy.CopySink;
import dev.jvz.copy.CopySinks;
import dev.jvz.copy.FileSink;
import dev.jvz.copy.FreezeStep;
import dev.jvz.copy.JvzOptions;
import dev.jvz.copy.JvzStreamSink;
import dev.jvz.copy.LegacyStreamSink;
import dev.jvz.copy.LiveCopy;
import dev.jvz.copy.Transports;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Runs one live copy of an image's top delta as a {@link CopySpec} says: opens the destination, runs
 * {@link LiveCopy}, closes the destination on every path (after a failure that drops the partial copy).
 * Used by the node for a mounted disk and by the CLI for an unmounted one.
 *
 * <p>Stateless; thread-safe.
 */
public final class CopyJob {
    private CopyJob() {}

    /** How long {@code --to HOST:PORT} may take to connect: a receiver that is up answers at once. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(30);

    /** The Unix socket the node listens on for a relayed copy of the disk with mount id {@code id}. */
    public static Path relaySocket(NodePaths paths, String id) {
        return paths.exportDir(id).resolve("copy.sock");
    }

    /**
     * Opens the destination of {@code spec}. {@code relay} is the duplex of a relayed copy (the
     * CLI's descriptors); null otherwise. A stream to a TCP receiver negotiates jvz and falls back to
     * legacy; over descriptors there is no second connection to fall back on, so {@code legacy} decides.
     */
    public static CopySink openSink(CopySpec spec, Transports.Duplex relay) throws IOException {
        JvzOptions base = JvzOptions.defaults();
        // Always ask: a receiver started with --resume that kept a partial copy offers its range digests;
        // any other receiver offers nothing and the copy runs in full.
        JvzOptions opts = base.withCompression(spec.compression()).withBwlimit(spec.bwlimit())
                .withResume(true, base.resumeRangeSize())
                .withHashList(!Boolean.FALSE.equals(spec.digest())); // the default for a stream: a digest
        if (spec.file() != null) {
            return new FileSink(Path.of(spec.file()));
        }
        if (spec.to() != null) {
            if (spec.legacy()) {
                Transports.Duplex d = Transports.connect(spec.to(), CONNECT_TIMEOUT);
                return new LegacyStreamSink(d.out(), d.in(), spec.bwlimit());
            }
            return CopySinks.open(() -> Transports.connect(spec.to(), CONNECT_TIMEOUT), opts);
        }
        if (relay == null) {
            throw new IllegalArgumentException("a relayed copy needs the relay stream");
        }
        if (spec.legacy()) {
            return new LegacyStreamSink(relay.out(), spec.feedback() ? relay.in() : null, spec.bwlimit());
        }
        try {
            return JvzStreamSink.open(relay.out(), relay.in(), opts);
        } catch (IOException e) {
            relay.close();
            throw e;
        }
    }

    /**
     * Copies {@code image}'s top delta into {@code sink} and closes the sink.
     *
     * @param freeze stops the writers for the final passes
     * @param preFreezeSync runs before the last unfrozen pass (syncfs of the mounted fs)
     */
    public static CopyReport run(Image image, CopySpec spec, CopySink sink, FreezeStep freeze,
            Runnable preFreezeSync, LiveCopy.Listener listener) throws IOException, ImageException {
        try (sink) {
            LiveCopy.Builder b = LiveCopy.builder(image, sink).freezeStep(freeze).preFreezeSync(preFreezeSync)
                    .listener(listener).finalDigest(finalDigest(spec, sink));
            if (spec.maxDowntimeMillis() != null) {
                b.maxDowntime(Duration.ofMillis(spec.maxDowntimeMillis()));
            }
            if (spec.granularity() != null) {
                b.granularity(spec.granularity());
            }
            return b.build().run();
        }
    }

    /**
     * Whether the copy ends with the final digest: as {@code spec.digest()} says, else on for a stream
     * that can verify one (jvz) and off for a local file. Fails when the choice cannot work.
     */
    static boolean finalDigest(CopySpec spec, CopySink sink) throws CopyProtocolException {
        boolean can = sink.digestRangeSize() > 0;
        boolean digest = spec.digest() != null ? spec.digest() : can && spec.file() == null;
        if (digest && !can) {
            throw new CopyProtocolException("the receiver speaks only ploop's legacy stream, which has no final"
                    + " digest; drop --digest, or receive with 'jvz ploop copy -d FILE'");
        }
        if (!digest && sink.resume().keptLength() > 0) {
            throw new CopyProtocolException("the receiver kept a partial copy (" + sink.resume().keptLength()
                    + " bytes) to resume from, and a resumed copy is valid only with the final digest; drop"
                    + " --no-digest, or remove the kept file and restart the receiver");
        }
        return digest;
    }
}
