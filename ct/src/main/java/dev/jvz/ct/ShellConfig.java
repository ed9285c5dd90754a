package dev.jvz.ct;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A shell-style configuration file as vzctl reads and writes them: one {@code KEY="value"} per line,
 * comments and blank lines in between. Rewriting keeps every comment, unknown key and the key order;
 * a changed key keeps its line, a new key is appended.
 *
 * <p>Accepted values (the subset of sh that vz.conf files use): {@code "double quoted"} with the
 * escapes {@code \" \\ \$ \`}, {@code 'single quoted'} (no escapes), or a bare word. A trailing
 * {@code # comment} after the value is allowed. Anything else (command substitution, several words
 * unquoted) is an error naming the file and line, since sourcing it in a shell would not give one value.
 *
 * <p>Not thread-safe: one instance belongs to one command.
 */
final class ShellConfig {
    private static final Pattern KEY = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** One line: a raw line kept as is (comment, blank) or a key with its value. */
    private sealed interface Line permits Raw, Entry {}

    private record Raw(String text) implements Line {}

    private static final class Entry implements Line {
        final String key;
        String value;
        /** The original text, written back unchanged unless the value changes. */
        String text;

        Entry(String key, String value, String text) {
            this.key = key;
            this.value = value;
            this.text = text;
        }
    }

    private final Path file;
    private final List<Line> lines = new ArrayList<>();

    private ShellConfig(Path file) {
        this.file = file;
    }

    /** An empty configuration that {@link #write} will save to {@code file}. */
    static ShellConfig empty(Path file) {
        return new ShellConfig(file);
    }

    /** Reads {@code file}; a missing file is a {@link NoSuchFileException}. */
    static ShellConfig read(Path file) throws IOException, ConfigException {
        return parse(file, Files.readString(file, StandardCharsets.UTF_8));
    }

    static ShellConfig parse(Path file, String text) throws ConfigException {
        ShellConfig c = new ShellConfig(file);
        String[] raw = text.split("\n", -1);
        int n = raw.length;
        if (n > 0 && raw[n - 1].isEmpty()) {
            n--; // the newline ending the last line does not start another
        }
        for (int i = 0; i < n; i++) {
            c.lines.add(parseLine(file, i + 1, raw[i]));
        }
        return c;
    }

    private static Line parseLine(Path file, int lineNo, String text) throws ConfigException {
        String s = text.strip();
        if (s.isEmpty() || s.startsWith("#")) {
            return new Raw(text);
        }
        if (s.startsWith("export ")) {
            s = s.substring("export ".length()).strip();
        }
        int eq = s.indexOf('=');
        if (eq <= 0 || !KEY.matcher(s.substring(0, eq)).matches()) {
            throw new ConfigException(file + " line " + lineNo + ": expected KEY=\"value\" but found '" + text
                    + "'; comment it out with # or fix it");
        }
        String key = s.substring(0, eq);
        String value = unquote(file, lineNo, key, s.substring(eq + 1));
        return new Entry(key, value, text);
    }

    private static String unquote(Path file, int lineNo, String key, String v) throws ConfigException {
        StringBuilder out = new StringBuilder();
        int i = 0;
        while (i < v.length()) {
            char ch = v.charAt(i);
            if (ch == '"') {
                i++;
                boolean closed = false;
                while (i < v.length()) {
                    char d = v.charAt(i);
                    if (d == '\\' && i + 1 < v.length() && "\"\\$`".indexOf(v.charAt(i + 1)) >= 0) {
                        out.append(v.charAt(i + 1));
                        i += 2;
                    } else if (d == '"') {
                        closed = true;
                        i++;
                        break;
                    } else if (d == '$' || d == '`') {
                        // $VEID is expanded later by the caller; other expansions are not supported.
                        out.append(d);
                        i++;
                    } else {
                        out.append(d);
                        i++;
                    }
                }
                if (!closed) {
                    throw bad(file, lineNo, key, "the double quote is not closed");
                }
            } else if (ch == '\'') {
                int end = v.indexOf('\'', i + 1);
                if (end < 0) {
                    throw bad(file, lineNo, key, "the single quote is not closed");
                }
                out.append(v, i + 1, end);
                i = end + 1;
            } else if (ch == ' ' || ch == '\t') {
                String rest = v.substring(i).strip();
                if (rest.isEmpty() || rest.startsWith("#")) {
                    break;
                }
                throw bad(file, lineNo, key, "several words need quotes: " + key + "=\"" + v.strip() + "\"");
            } else if (ch == '\\' && i + 1 < v.length()) {
                out.append(v.charAt(i + 1));
                i += 2;
            } else if (ch == '`' || ch == ';' || ch == '|' || ch == '&' || ch == '(' || ch == ')') {
                throw bad(file, lineNo, key, "'" + ch + "' is shell syntax jvz does not run; quote the value");
            } else {
                out.append(ch);
                i++;
            }
        }
        return out.toString();
    }

    private static ConfigException bad(Path file, int lineNo, String key, String why) {
        return new ConfigException(file + " line " + lineNo + ", " + key + ": " + why);
    }

    Path file() {
        return file;
    }

    /** The value of {@code key} (the last assignment wins, as in a shell), or null. */
    String get(String key) {
        String v = null;
        for (Line l : lines) {
            if (l instanceof Entry e && e.key.equals(key)) {
                v = e.value;
            }
        }
        return v;
    }

    /** Every key and its value, in file order (the last assignment of a repeated key wins). */
    Map<String, String> asMap() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Line l : lines) {
            if (l instanceof Entry e) {
                m.put(e.key, e.value);
            }
        }
        return m;
    }

    /** Sets {@code key}: rewrites its (last) line in place, or appends a line. */
    void set(String key, String value) {
        if (!KEY.matcher(key).matches()) {
            throw new IllegalArgumentException("not a configuration key: '" + key + "'");
        }
        Entry last = null;
        for (Line l : lines) {
            if (l instanceof Entry e && e.key.equals(key)) {
                last = e;
            }
        }
        String text = key + "=" + quote(value);
        if (last == null) {
            lines.add(new Entry(key, value, text));
        } else if (!value.equals(last.value)) {
            last.value = value;
            last.text = text;
        }
    }

    /** Removes every assignment of {@code key}. */
    void remove(String key) {
        lines.removeIf(l -> l instanceof Entry e && e.key.equals(key));
    }

    /** The value in double quotes, escaping what a shell would otherwise interpret. */
    static String quote(String value) {
        StringBuilder b = new StringBuilder("\"");
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\n' || c == '\r') {
                throw new IllegalArgumentException("a configuration value cannot span lines: '" + value + "'");
            }
            if ("\"\\$`".indexOf(c) >= 0) {
                b.append('\\');
            }
            b.append(c);
        }
        return b.append('"').toString();
    }

    String render() {
        StringBuilder b = new StringBuilder();
        for (Line l : lines) {
            b.append(switch (l) {
                case Raw r -> r.text();
                case Entry e -> e.text;
            }).append('\n');
        }
        return b.toString();
    }

    /** Writes crash-safely: a temp file beside it, fsync, atomic rename, fsync of the directory. */
    void write() throws IOException {
        writeAtomically(file, render().getBytes(StandardCharsets.UTF_8));
    }

    static void writeAtomically(Path file, byte[] data) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer buf = ByteBuffer.wrap(data);
            while (buf.hasRemaining()) {
                ch.write(buf);
            }
            ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some file systems refuse to open a directory for fsync; the rename itself is atomic.
        }
    }
}
