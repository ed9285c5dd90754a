package dev.jvz.node;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the kernel's mount table ({@code /proc/self/mountinfo}, proc(5)) to learn what is mounted
 * where, so cleanup can tell a stale mount from a plain directory.
 *
 * <p>Thread-safe: stateless.
 */
public final class Mounts {
    private Mounts() {}

    /** One mountinfo line: mount point, file system type, source device. */
    public record Entry(Path mountPoint, String fsType, String source) {}

    public static List<Entry> list() throws IOException {
        List<Entry> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            // Fields: id parent major:minor root mountpoint options [optional...] - fstype source superopts
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
                continue;
            }
            out.add(new Entry(Path.of(unescape(f[4])), f[dash + 1], unescape(f[dash + 2])));
        }
        return out;
    }

    /** The entry mounted at {@code dir} (the last one wins, as the kernel shows the top mount), or null. */
    public static Entry at(Path dir) throws IOException {
        Path want = dir.toAbsolutePath().normalize();
        Entry found = null;
        for (Entry e : list()) {
            if (e.mountPoint().equals(want)) {
                found = e;
            }
        }
        return found;
    }

    public static boolean isMountPoint(Path dir) throws IOException {
        return at(dir) != null;
    }

    /** mountinfo escapes space, tab, newline and backslash as octal {@code \ooo}. */
    static String unescape(String s) {
        if (s.indexOf('\\') < 0) {
            return s;
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && isOctal(s, i + 1)) {
                b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                b.append(c);
            }
        }
        return b.toString();
    }

    private static boolean isOctal(String s, int from) {
        if (from + 3 > s.length()) {
            return false;
        }
        for (int i = from; i < from + 3; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '7') {
                return false;
            }
        }
        return true;
    }
}
