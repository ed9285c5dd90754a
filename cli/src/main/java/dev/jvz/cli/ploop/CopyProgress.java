package dev.jvz.cli.ploop;

import dev.jvz.cli.ProgressPrinter;
import dev.jvz.cli.Sizes;
import dev.jvz.copy.LiveCopy;
import java.io.PrintWriter;
import java.util.Locale;

/**
 * The progress line of a live copy on a terminal: {@code copy: pass 2 LIVE  1.5 GiB sent (file 8.0 GiB)
 * 850.2 MiB/s  12.0 MiB dirty  ETA 4 s}. Fed by {@link LiveCopy.Progress}: from the copy itself when it
 * runs here, or streamed by the node for a mounted disk. The ETA counts the re-dirtied data: it is
 * what the write tracker says is still to send if the writers stopped now (the part of the file pass 1
 * has not reached plus everything written since it was sent), at this pass's rate; while writers run
 * it grows again, so it is a lower bound, not a promise.
 *
 * <p>Thread-safe: every method is synchronized (the node's events arrive on the client's reader thread).
 */
final class CopyProgress implements LiveCopy.Listener, AutoCloseable {
    private final PrintWriter err;
    private final String label;
    private final boolean enabled;
    private int lastWidth;

    private CopyProgress(PrintWriter err, String label, boolean enabled) {
        this.err = err;
        this.label = label;
        this.enabled = enabled;
    }

    /** A progress line on {@code err}, or nothing at all when {@code disabled} (not a terminal, --quiet, --json). */
    static CopyProgress forStderr(PrintWriter err, String label, boolean disabled) {
        return new CopyProgress(err, label, !disabled);
    }

    @Override
    public synchronized void progress(LiveCopy.Progress p) {
        if (!enabled) {
            return;
        }
        String line = render(label, p);
        StringBuilder sb = new StringBuilder("\r").append(line);
        sb.repeat(' ', Math.max(0, lastWidth - line.length()));
        lastWidth = line.length();
        err.print(sb);
        err.flush();
    }

    /** One line for {@code p}, without the carriage return. */
    static String render(String label, LiveCopy.Progress p) {
        double eta = p.etaSeconds();
        return label + ": pass " + p.pass() + " " + p.phase() + "  " + Sizes.human(p.totalBytes()) + " sent"
                + (p.fileSize() > 0 ? " (file " + Sizes.human(p.fileSize()) + ")" : "") + "  "
                + ProgressPrinter.rate(p.passBytes(), p.passNanos()) + "  " + Sizes.human(p.dirtyBytes()) + " dirty"
                + (eta >= 0 ? String.format(Locale.ROOT, "  ETA %.0f s", eta) : "");
    }

    @Override
    public synchronized void close() {
        if (enabled && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
            lastWidth = 0;
        }
    }
}
