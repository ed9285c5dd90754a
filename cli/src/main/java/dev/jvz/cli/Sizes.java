package dev.jvz.cli;

import dev.jvz.image.PloopFormat;
import java.util.Locale;

/**
 * Parsing and printing of sizes, the way ploop's command line takes them.
 *
 * <p>{@code ploop init -s} and {@code ploop resize -s} (OpenVZ/ploop tools/common.c {@code parse_size},
 * ploop(8)) accept a number of 512-byte <em>sectors</em>, or a number followed by one of
 * {@code K M G T} (either case) for binary kibi-, mebi-, gibi- or tebibytes. jvz accepts the same
 * syntax. One difference: ploop reads the number with {@code strtoul(..., 0)}, so there {@code 010}
 * is octal; jvz reads decimal only, so a leading zero never changes the meaning silently.
 *
 * <p>Stateless and thread-safe.
 */
public final class Sizes {
    private Sizes() {}

    private static final String UNITS = "KMGT";

    /**
     * Parses a ploop size: {@code 20480} (sectors), {@code 4096K}, {@code 512M}, {@code 10G}, {@code 1T}.
     *
     * @return the size in bytes (always a multiple of 512)
     * @throws IllegalArgumentException with a message naming the bad text and the accepted forms
     */
    public static long parse(String text) {
        if (text == null || text.isEmpty()) {
            throw new IllegalArgumentException("empty size; " + FORMS);
        }
        int end = text.length();
        long unit = PloopFormat.SECTOR_SIZE;
        char last = text.charAt(end - 1);
        int u = UNITS.indexOf(Character.toUpperCase(last));
        if (u >= 0) {
            unit = 1L << (10 * (u + 1));
            end--;
        }
        if (end == 0) {
            throw new IllegalArgumentException("'" + text + "' has no number; " + FORMS);
        }
        long n = 0;
        for (int i = 0; i < end; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                throw new IllegalArgumentException("'" + text + "' is not a size; " + FORMS);
            }
            try {
                n = Math.addExact(Math.multiplyExact(n, 10), c - '0');
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("'" + text + "' is too large", e);
            }
        }
        try {
            return Math.multiplyExact(n, unit);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + text + "' is too large", e);
        }
    }

    private static final String FORMS =
            "use a number of 512-byte sectors, or a number with a suffix K, M, G or T (e.g. 10G)";

    /**
     * Formats bytes for people with binary units and at most one decimal: {@code 512 B}, {@code 1 MiB},
     * {@code 1.5 GiB}.
     */
    public static String human(long bytes) {
        if (bytes < 1024 && bytes > -1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int i = -1;
        while (Math.abs(v) >= 1024 && i < units.length - 1) {
            v /= 1024;
            i++;
        }
        String num = String.format(Locale.ROOT, "%.1f", v);
        if (Math.abs(Double.parseDouble(num)) >= 1024 && i < units.length - 1) {
            // 1048575 bytes is 1023.999 KiB, which rounds to "1024.0": say 1 MiB instead.
            v /= 1024;
            i++;
            num = String.format(Locale.ROOT, "%.1f", v);
        }
        if (num.endsWith(".0")) {
            num = num.substring(0, num.length() - 2);
        }
        return num + " " + units[i];
    }

    /** {@code 10 GiB (10737418240 bytes)}: human size followed by the exact count. */
    public static String humanExact(long bytes) {
        return human(bytes) + " (" + bytes + " bytes)";
    }
}
