package dev.jvz.ct;

import java.util.Locale;

/**
 * Sizes as vzctl writes them: a number with an optional binary suffix K, M, G, T (1G = 1024^3 bytes),
 * or a bare number of bytes; vzctl's {@code soft:hard} pairs (DISKSPACE="10G:11G") give the hard value,
 * since a stock kernel has no soft disk limit.
 */
final class ByteSize {
    private ByteSize() {}

    /** Parses {@code text}; {@code what} names the key or option in the error ("RAM in /etc/..."). */
    static long parse(String text, String what) throws ConfigException {
        String t = text.strip();
        int colon = t.indexOf(':');
        if (colon >= 0) {
            t = t.substring(colon + 1).strip();
        }
        if (t.isEmpty()) {
            throw new ConfigException(what + ": empty size; use a number with K, M, G or T, e.g. 512M");
        }
        char last = Character.toUpperCase(t.charAt(t.length() - 1));
        int shift = switch (last) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            case 'T' -> 40;
            default -> 0;
        };
        String digits = shift == 0 ? t : t.substring(0, t.length() - 1);
        if (digits.endsWith("B") || digits.endsWith("b")) {
            throw new ConfigException(what + ": '" + text + "' is not a size; write 512M, not 512MB");
        }
        try {
            long n = Long.parseLong(digits);
            if (n < 0 || (shift > 0 && n > (Long.MAX_VALUE >> shift))) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new ConfigException(what + ": '" + text + "' is not a size; use a number with K, M, G or T, "
                    + "e.g. 512M or 10G");
        }
    }

    /** The shortest exact form: 536870912 → "512M", 1000 → "1000". */
    static String format(long bytes) {
        String[] units = {"T", "G", "M", "K"};
        int[] shifts = {40, 30, 20, 10};
        for (int i = 0; i < units.length; i++) {
            long unit = 1L << shifts[i];
            if (bytes >= unit && bytes % unit == 0) {
                return (bytes / unit) + units[i];
            }
        }
        return Long.toString(bytes);
    }

    /** For messages: one decimal, "1.5G". */
    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + "B";
        }
        String[] units = {"K", "M", "G", "T"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f%s", v, units[u]);
    }
}
