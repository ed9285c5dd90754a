package dev.jvz.cli.ploop;

import dev.jvz.cli.ProgressPrinter;
import dev.jvz.cli.Sizes;
import dev.jvz.image.Convert;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The result of {@code import} or {@code export}, printed as one line or as JSON.
 *
 * <p>Immutable, so thread-safe.
 *
 * @param operation {@code import} or {@code export}
 * @param source the file read
 * @param target the file written
 * @param virtualSize virtual disk size in bytes (= the raw file's size, rounded up to a cluster on import)
 * @param dataBytes bytes of non-zero clusters copied
 * @param zeroClusters all-zero or unallocated clusters left as holes
 * @param elapsedSeconds wall time of the copy
 * @param bytesPerSecond virtual bytes processed per second
 */
record ConvertSummary(String operation, String source, String target, long virtualSize, long dataBytes,
        long zeroClusters, double elapsedSeconds, long bytesPerSecond) {

    static ConvertSummary of(String operation, Path source, Path target, Convert.Result r, long elapsedNanos) {
        double seconds = elapsedNanos / 1e9;
        long rate = seconds > 0 ? (long) (r.virtualBytes() / seconds) : 0;
        return new ConvertSummary(operation, source.toString(), target.toString(), r.virtualBytes(), r.dataBytes(),
                r.zeroClusters(), Math.round(seconds * 1000) / 1000.0, rate);
    }

    /** {@code imported disk.raw into root.hdd: 10 GiB virtual, 1.2 GiB data, 8000 zero clusters; 3.4 s, 2.9 GiB/s} */
    void printHuman(PrintWriter out) {
        String verb = operation.equals("import") ? "imported" : "exported";
        out.println(verb + " " + source + " to " + target + ": " + Sizes.human(virtualSize) + " virtual, "
                + Sizes.human(dataBytes) + " data, " + zeroClusters + " zero clusters left as holes; "
                + String.format(Locale.ROOT, "%.1f s", elapsedSeconds) + ", "
                + ProgressPrinter.rate(virtualSize, (long) (elapsedSeconds * 1e9)));
        out.flush();
    }

    static final String JSON_HELP_HEADING = "%nJSON output (--json):%n";
}
