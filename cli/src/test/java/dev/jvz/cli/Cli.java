package dev.jvz.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs {@code jvz} in-process with captured stdout and stderr, as the launcher would. */
public final class Cli {
    private Cli() {}

    /** What one run printed and returned. */
    public record Result(int exitCode, String out, String err) {
        /** stderr split into lines, without the trailing empty one. */
        public List<String> errLines() {
            return err.lines().toList();
        }

        @Override
        public String toString() {
            return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
        }
    }

    public static Result run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code;
        try (PrintWriter o = new PrintWriter(out); PrintWriter e = new PrintWriter(err)) {
            code = Main.run(o, e, args);
        }
        return new Result(code, out.toString(), err.toString());
    }
}
