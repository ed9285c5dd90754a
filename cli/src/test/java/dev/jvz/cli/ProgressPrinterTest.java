package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {
    private final StringWriter sink = new StringWriter();
    private final PrintWriter out = new PrintWriter(sink);
    private final AtomicLong clock = new AtomicLong(1_000_000_000L);

    private ProgressPrinter printer(boolean enabled) {
        return new ProgressPrinter(out, "import", enabled, clock::get);
    }

    @Test
    void disabledPrinterPrintsNothingAtAll() {
        try (ProgressPrinter p = printer(false)) {
            p.update(1, 10);
            p.update(10, 10);
        }
        assertThat(sink.toString()).isEmpty();
    }

    @Test
    void redrawsInPlaceWithBytesPercentAndRate() {
        ProgressPrinter p = printer(true);
        clock.addAndGet(1_000_000_000L); // one second later: 512 MiB done of 1 GiB
        p.update(512L << 20, 1L << 30);
        assertThat(sink.toString()).isEqualTo("\rimport: 512 MiB / 1 GiB   50%  512 MiB/s");
    }

    @Test
    void updatesWithinTheIntervalAreSkippedButTheLastOneIsAlwaysDrawn() {
        ProgressPrinter p = printer(true);
        p.update(1, 100);
        clock.addAndGet(ProgressPrinter.INTERVAL_NANOS / 2);
        p.update(2, 100); // too soon: skipped
        assertThat(sink.toString()).doesNotContain("2 B /");
        p.update(100, 100); // finished: drawn even though it is soon
        assertThat(sink.toString()).contains("100 B / 100 B  100%");
    }

    @Test
    void aShorterLineBlanksTheRestOfTheLongerOne() {
        ProgressPrinter p = printer(true);
        p.update(1_500_000_000L, 3_000_000_000L);
        String first = sink.toString();
        clock.addAndGet(ProgressPrinter.INTERVAL_NANOS);
        p.update(3, 3_000_000_000L);
        String second = sink.toString().substring(first.length());
        assertThat(second).startsWith("\rimport: 3 B / 2.8 GiB").endsWith(" ");
        assertThat(second.length()).isEqualTo(first.length());
    }

    @Test
    void closeErasesTheLineSoTheSummaryStandsAlone() {
        ProgressPrinter p = printer(true);
        p.update(5, 10);
        String drawn = sink.toString();
        p.close();
        String erase = sink.toString().substring(drawn.length());
        assertThat(erase).startsWith("\r").endsWith("\r").matches("\r *\r");
        assertThat(erase.length()).isEqualTo(drawn.length() + 1);
    }

    @Test
    void closeWithoutAnyDrawPrintsNothing() {
        printer(true).close();
        assertThat(sink.toString()).isEmpty();
    }

    @Test
    void rateBeforeAnyElapsedTimeIsADash() {
        assertThat(ProgressPrinter.rate(100, 0)).isEqualTo("- B/s");
        assertThat(ProgressPrinter.rate(3L << 30, 2_000_000_000L)).isEqualTo("1.5 GiB/s");
    }
}
