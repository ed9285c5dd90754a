package dev.jvz.ct;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The template's own description, {@code /etc/jvz-template} inside the cache: shell-style
 * {@code KEY=value} lines (so a script in the container can source it), values double-quoted when
 * they contain spaces. Keys: NAME, OS, INIT, STOP_SIGNAL, CREATED. Unknown keys are ignored, so a
 * newer jvz can add some.
 *
 * <p>Immutable, validated in the constructor.
 */
record TemplateMeta(String name, String os, String init, String stopSignal, Instant created) {
    /** Where the file lives inside the root, relative. */
    static final String PATH = "etc/jvz-template";
    /** The file is a few lines; anything longer is not ours and is not parsed. */
    static final int MAX_BYTES = 4096;
    /** Values are written unquoted or in double quotes: no quotes, backslashes, dollars or newlines. */
    private static final Pattern SAFE_VALUE = Pattern.compile("[A-Za-z0-9 ._+:/@,~-]*");
    private static final Pattern SIGNAL = Pattern.compile("[A-Z][A-Z0-9+]*");

    TemplateMeta {
        for (String v : new String[] {name, os, init, stopSignal}) {
            if (v == null || !SAFE_VALUE.matcher(v).matches()) {
                throw new IllegalArgumentException("template metadata value not allowed: " + v);
            }
        }
        if (!init.startsWith("/")) {
            throw new IllegalArgumentException("INIT must be an absolute path: " + init);
        }
        if (!SIGNAL.matcher(stopSignal).matches()) {
            throw new IllegalArgumentException("STOP_SIGNAL must be a signal name like TERM: " + stopSignal);
        }
    }

    String format() {
        return "# jvz OS template: how 'jvz ctl' boots and stops a container made from it.\n"
                + "# INIT runs as PID 1 without a terminal; 'runc kill ID STOP_SIGNAL' halts it cleanly.\n"
                + "NAME=" + quote(name) + "\n"
                + "OS=" + quote(os) + "\n"
                + "INIT=" + quote(init) + "\n"
                + "STOP_SIGNAL=" + quote(stopSignal) + "\n"
                + "CREATED=" + created + "\n";
    }

    /**
     * Parses the file; missing or malformed keys fall back to the defaults, since the file only
     * refines what a plain OS cache already implies.
     */
    static TemplateMeta parse(String text, String fallbackName, Instant fallbackCreated) {
        Map<String, String> kv = new LinkedHashMap<>();
        for (String line : text.split("\n")) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#") || eq <= 0) {
                continue;
            }
            String v = l.substring(eq + 1).strip();
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1);
            }
            kv.put(l.substring(0, eq).strip(), v);
        }
        Instant created = fallbackCreated;
        try {
            if (kv.containsKey("CREATED")) {
                created = Instant.parse(kv.get("CREATED"));
            }
        } catch (DateTimeParseException e) {
            // keep the file's time: a wrong date is no reason to hide the template
        }
        try {
            return new TemplateMeta(kv.getOrDefault("NAME", fallbackName), kv.getOrDefault("OS", "unknown"),
                    kv.getOrDefault("INIT", TemplateInfo.DEFAULT_INIT),
                    kv.getOrDefault("STOP_SIGNAL", TemplateInfo.DEFAULT_STOP_SIGNAL), created);
        } catch (IllegalArgumentException e) {
            return defaults(fallbackName, fallbackCreated);
        }
    }

    /** What a cache without metadata (e.g. an OpenVZ template cache) is taken to be. */
    static TemplateMeta defaults(String name, Instant created) {
        return new TemplateMeta(name, "unknown", TemplateInfo.DEFAULT_INIT, TemplateInfo.DEFAULT_STOP_SIGNAL, created);
    }

    private static String quote(String v) {
        return v.isEmpty() || v.contains(" ") ? "\"" + v + "\"" : v;
    }
}
