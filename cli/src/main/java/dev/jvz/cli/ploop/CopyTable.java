package dev.jvz.cli.ploop;

import dev.jvz.cli.Sizes;
import dev.jvz.copy.CopyReport;
import java.util.Locale;

/** The {@code -t} table of a copy: one row per pass, then the frozen window. Stateless. */
final class CopyTable {
    private CopyTable() {}

    static String render(CopyReport r) {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%4s  %-10s  %10s  %10s  %12s  %10s%n", "pass", "phase", "bytes", "ms",
                "rate", "dirty"));
        for (CopyReport.Pass p : r.passes()) {
            b.append(String.format(Locale.ROOT, "%4d  %-10s  %10s  %10.1f  %10s/s  %10s%n", p.number(), p.phase(),
                    Sizes.human(p.bytes()), p.nanos() / 1e6, Sizes.human((long) p.bandwidth()),
                    Sizes.human(p.dirtyBytesAtEnd())));
        }
        CopyReport.Frozen f = r.frozen();
        b.append(String.format(Locale.ROOT, "frozen: freeze %.1f ms, final passes %.1f ms, digest %.1f ms, "
                + "sync %.1f ms, thaw %.1f ms%n", f.freezeNanos() / 1e6, f.finalPassNanos() / 1e6,
                f.digestNanos() / 1e6, f.syncNanos() / 1e6, f.thawNanos() / 1e6));
        b.append(String.format(Locale.ROOT, "frozen total %.1f ms, %s sent frozen; copy total %.1f ms%n",
                f.totalNanos() / 1e6, Sizes.human(f.finalBytes()), r.totalNanos() / 1e6));
        CopyReport.Verify v = r.verify();
        if (v != null) {
            b.append(String.format(Locale.ROOT, "digest: %s re-hashed before the freeze in %.1f ms, %s while frozen; "
                    + "compared after the thaw in %.1f ms%n", Sizes.human(v.preFreezeBytes()), v.preFreezeNanos() / 1e6,
                    Sizes.human(v.frozenBytes()), v.compareNanos() / 1e6));
        }
        return b.toString();
    }
}
