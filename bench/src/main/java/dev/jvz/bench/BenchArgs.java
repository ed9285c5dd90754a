package dev.jvz.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The command line of a bench harness: {@code MODE positional... --key value... --flag...}.
 * Errors go to the harness's own usage printer (which exits). Not thread-safe; one per run.
 */
final class BenchArgs {
    private final List<String> positional = new ArrayList<>();
    private final Map<String, String> options = new HashMap<>();
    private final Consumer<String> usage;

    /**
     * @param args the whole command line; {@code args[0]} is the mode and is skipped
     * @param flags options that take no value
     * @param usage prints why the command line is wrong and exits
     */
    BenchArgs(String[] args, Set<String> flags, Consumer<String> usage) {
        this.usage = usage;
        for (int i = 1; i < args.length; i++) {
            String s = args[i];
            if (flags.contains(s)) {
                options.put(s, "");
            } else if (s.startsWith("--")) {
                if (i + 1 >= args.length) {
                    usage.accept("option " + s + " needs a value");
                }
                options.put(s, args[++i]);
            } else {
                positional.add(s);
            }
        }
    }

    String positional(int i) {
        if (i >= positional.size()) {
            usage.accept("missing argument " + (i + 1));
        }
        return positional.get(i);
    }

    boolean has(String k) {
        return options.containsKey(k);
    }

    String opt(String k) {
        return options.get(k);
    }

    String opt(String k, String dflt) {
        return options.getOrDefault(k, dflt);
    }

    String required(String k) {
        String v = options.get(k);
        if (v == null) {
            usage.accept("missing " + k);
        }
        return v;
    }

    int intOpt(String k, int dflt) {
        return options.containsKey(k) ? Integer.parseInt(options.get(k)) : dflt;
    }

    long longOpt(String k, long dflt) {
        return options.containsKey(k) ? Long.parseLong(options.get(k)) : dflt;
    }

    /** A size with an optional K/M/G suffix (binary). */
    long size(String k, long dflt) {
        String v = options.get(k);
        if (v == null) {
            return dflt;
        }
        char u = Character.toUpperCase(v.charAt(v.length() - 1));
        int shift = switch (u) {
            case 'K' -> 10;
            case 'M' -> 20;
            case 'G' -> 30;
            default -> 0;
        };
        return Long.parseLong(shift == 0 ? v : v.substring(0, v.length() - 1)) << shift;
    }
}
