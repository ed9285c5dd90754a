package dev.jvz.cli;

import dev.jvz.image.Progress;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * A one-line progress display for long copies: {@code import: 1.5 GiB / 10 GiB  15%  850.2 MiB/s},
 * redrawn in place with a carriage return at most every {@link #INTERVAL_NANOS}, and erased on
 * {@link #close()} so the summary line that follows stands alone.
 *
 * <p>Prints only when enabled: commands enable it when stderr is a terminal and {@code -q} is not
 * given ({@link #forStderr}). Not thread-safe: one operation reports from one thread, as
 * {@link Progress} requires.
 */
public final class ProgressPrinter implements Progress, AutoCloseable {
    /** Five redraws a second look live without costing the copy anything measurable. */
    static final long INTERVAL_NANOS = 200_000_000L;

    private final PrintWriter out;
    private final String label;
    private final LongSupplier nanoClock;
    private final boolean enabled;
    private final long start;
    private long lastDraw;
    private boolean drawn;
    private int lastWidth;

    ProgressPrinter(PrintWriter out, String label, boolean enabled, LongSupplier nanoClock) {
        this.out = out;
        this.label = label;
        this.enabled = enabled;
        this.nanoClock = nanoClock;
        this.start = nanoClock.getAsLong();
    }

    /** A printer on {@code err} that draws only if stderr is a terminal and {@code quiet} is false. */
    public static ProgressPrinter forStderr(PrintWriter err, String label, boolean quiet) {
        return new ProgressPrinter(err, label, !quiet && Terminal.isTerminal(Terminal.STDERR), System::nanoTime);
    }

    @Override
    public void update(long doneBytes, long totalBytes) {
        if (!enabled) {
            return;
        }
        long now = nanoClock.getAsLong();
        if (drawn && now - lastDraw < INTERVAL_NANOS && doneBytes < totalBytes) {
            return;
        }
        lastDraw = now;
        String line = line(doneBytes, totalBytes, now - start);
        StringBuilder sb = new StringBuilder("\r").append(line);
        // Blank out what a longer previous line left behind.
        sb.repeat(' ', Math.max(0, lastWidth - line.length()));
        lastWidth = line.length();
        out.print(sb);
        out.flush();
        drawn = true;
    }

    String line(long done, long total, long elapsedNanos) {
        String pct = total > 0 ? String.format(Locale.ROOT, "%3d%%", (int) (100 * (double) done / total)) : "";
        return label + ": " + Sizes.human(done) + " / " + Sizes.human(total) + "  " + pct + "  "
                + rate(done, elapsedNanos);
    }

    /** Bytes per second as {@code 850.2 MiB/s}; {@code -} before there is a meaningful interval. */
    public static String rate(long bytes, long elapsedNanos) {
        if (elapsedNanos <= 0) {
            return "- B/s";
        }
        return Sizes.human((long) (bytes / (elapsedNanos / 1e9))) + "/s";
    }

    /** Erases the progress line, if one was drawn. */
    @Override
    public void close() {
        if (drawn) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            out.flush();
            drawn = false;
        }
    }
}
