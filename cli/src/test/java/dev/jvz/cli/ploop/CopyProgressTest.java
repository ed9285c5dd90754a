package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.copy.CopyReport;
import dev.jvz.copy.LiveCopy;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

/** The progress line: what it shows, that its ETA counts the dirty bytes, and that disabled means silent. */
class CopyProgressTest {
    private static final LiveCopy.Progress P = new LiveCopy.Progress(2, CopyReport.Phase.LIVE, 10L << 20,
            1_000_000_000L, 100L << 20, 30L << 20, 1L << 30);

    @Test
    void theLineShowsPassBytesRateDirtyAndAnEtaOfTheDirtyBytesAtThisPassRate() {
        String line = CopyProgress.render("copy", P);
        // 30 MiB dirty at 10 MiB/s: 3 s, though this pass has sent only 10 MiB so far.
        assertThat(line).isEqualTo("copy: pass 2 LIVE  100 MiB sent (file 1 GiB)  10 MiB/s  30 MiB dirty  ETA 3 s");
    }

    @Test
    void beforeAnyRateThereIsNoEta() {
        assertThat(CopyProgress.render("copy", new LiveCopy.Progress(1, CopyReport.Phase.LIVE, 0, 0, 0, 5, 5)))
                .doesNotContain("ETA");
    }

    @Test
    void redrawsOverwriteTheLineAndCloseErasesIt() {
        StringWriter w = new StringWriter();
        try (CopyProgress p = CopyProgress.forStderr(new PrintWriter(w), "copy", false)) {
            p.progress(P);
            p.progress(new LiveCopy.Progress(3, CopyReport.Phase.FROZEN, 1, 1, 1, 0, 1));
        }
        String out = w.toString();
        assertThat(out).startsWith("\rcopy: pass 2 LIVE").contains("\rcopy: pass 3 FROZEN").endsWith("\r");
    }

    @Test
    void disabledPrintsNothing() {
        StringWriter w = new StringWriter();
        try (CopyProgress p = CopyProgress.forStderr(new PrintWriter(w), "copy", true)) {
            p.progress(P);
        }
        assertThat(w.toString()).isEmpty();
    }
}
