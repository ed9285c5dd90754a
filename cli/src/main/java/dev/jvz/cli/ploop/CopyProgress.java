package dev.jvz.cli.ploop;

import dev.jvz.cli.ProgressPrinter;
import dev.jvz.cli.Sizes;
import dev.jvz.copy.CopyReport;
import dev.jvz.copy.CopySink;
import dev.jvz.copy.LiveCopy;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.util.Locale;

/**
 * The progress line of a live copy on a terminal: {@code copy: pass 2  1.5 GiB sent  850.2 MiB/s
 * ETA 4 s}. The ETA counts what is still to send in this pass: the rest of the file in pass 1, the
 * data dirtied during the previous pass afterwards (it grows again while writers run, so it is an
 * estimate of the current pass, not of the whole copy).
 *
 * <p>Thread-safe: the sink's writes may come from the copy's sender thread and pass ends from the
 * copy's thread; every method is synchronized (printing a short line under the lock is cheap).
 */
final class CopyProgress implements LiveCopy.Listener, AutoCloseable {
    private static final long INTERVAL_NANOS = 200_000_000L;

    private final PrintWriter err;
    private final String label;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long fileSize = -1;
    private int pass = 1;
    private long passBytes;
    private long passStart = start;
    private long toSend = -1;
    private long total;
    private long lastDraw;
    private int lastWidth;

    private CopyProgress(PrintWriter err, String label, boolean enabled) {
        this.err = err;
        this.label = label;
        this.enabled = enabled;
    }

    static CopyProgress forStderr(PrintWriter err, String label, boolean disabled) {
        return new CopyProgress(err, label, !disabled);
    }

    /** Sets the size of the file being copied (pass 1's amount). */
    synchronized void fileSize(long bytes) {
        this.fileSize = bytes;
        this.toSend = bytes;
    }

    /** A sink that reports every write to this progress line, then forwards it. */
    CopySink wrap(CopySink sink) {
        if (!enabled) {
            return sink;
        }
        return new CopySink() {
            @Override
            public void write(long pos, ByteBuffer data) throws IOException {
                int n = data.remaining();
                sink.write(pos, data);
                sent(n);
            }

            @Override
            public void sync() throws IOException {
                sink.sync();
            }

            @Override
            public void finish() throws IOException {
                sink.finish();
            }

            @Override
            public void close() throws IOException {
                sink.close();
            }
        };
    }

    private synchronized void sent(int n) {
        passBytes += n;
        total += n;
        long now = System.nanoTime();
        if (now - lastDraw >= INTERVAL_NANOS) {
            lastDraw = now;
            draw(now);
        }
    }

    @Override
    public synchronized void passDone(CopyReport.Pass p) {
        pass = p.number() + 1;
        passBytes = 0;
        passStart = System.nanoTime();
        toSend = p.dirtyBytesAtEnd();
    }

    private void draw(long now) {
        long elapsed = now - passStart;
        String eta = "";
        if (toSend >= 0 && elapsed > 0 && passBytes > 0) {
            double rate = passBytes / (elapsed / 1e9);
            long left = Math.max(0, toSend - passBytes);
            eta = String.format(Locale.ROOT, "  ETA %.0f s", left / rate);
        }
        String line = label + ": pass " + pass + "  " + Sizes.human(total) + " sent"
                + (fileSize > 0 ? " (file " + Sizes.human(fileSize) + ")" : "") + "  "
                + ProgressPrinter.rate(passBytes, elapsed) + eta;
        StringBuilder sb = new StringBuilder("\r").append(line);
        sb.repeat(' ', Math.max(0, lastWidth - line.length()));
        lastWidth = line.length();
        err.print(sb);
        err.flush();
    }

    @Override
    public synchronized void close() {
        if (enabled && lastWidth > 0) {
            err.print("\r" + " ".repeat(lastWidth) + "\r");
            err.flush();
        }
    }
}
