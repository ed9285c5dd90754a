package dev.jvz.cli.ploop;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/** Builds test images through the engine's public API. */
final class Images {
    private Images() {}

    static final long MIB = 1 << 20;

    /** A v2 image of {@code sizeMib} MiB with 1 MiB clusters where {@code dataClusters} hold a byte pattern. */
    static Path withData(Path file, long sizeMib, long... dataClusters) throws IOException, ImageException {
        Image.create(file, CreateOptions.of(sizeMib * MIB));
        try (Image img = Image.open(file, true)) {
            for (long c : dataClusters) {
                byte[] b = new byte[(int) MIB];
                Arrays.fill(b, (byte) (c + 1));
                img.write(c * MIB, ByteBuffer.wrap(b));
            }
            img.flush();
        }
        return file;
    }

    /** Overwrites a little-endian u32 of the header (e.g. 44 = inUse, 0 = signature). */
    static void pokeHeader(Path file, int offset, int value) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(value).flip(), offset);
        }
    }
}
