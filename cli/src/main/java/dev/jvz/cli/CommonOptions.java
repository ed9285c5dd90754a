package dev.jvz.cli;

import picocli.CommandLine.Option;

/**
 * Options every {@code jvz} subcommand has; mixed in with {@code @Mixin CommonOptions common;}.
 *
 * <p>{@code --stacktrace} is read by {@link ErrorHandler} from the parse result, so a command needs
 * nothing but the mixin for it to work.
 *
 * <p>Filled by picocli on the calling thread, once per run; never shared.
 */
public final class CommonOptions {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Option(names = "--json", description = "Print the result as one JSON object on stdout (fields are listed below).")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print nothing but errors: no progress, no summary "
            + "(--json output is still printed).")
    boolean quiet;

    @Option(names = "--stacktrace", description = "On error, print the full Java stack trace after the message.")
    boolean stacktrace;

    /** {@code --json} was given. */
    public boolean json() {
        return json;
    }

    /** {@code -q} was given. */
    public boolean quiet() {
        return quiet;
    }

    /** {@code --stacktrace} was given. */
    public boolean stacktrace() {
        return stacktrace;
    }

    /** True when a human-readable result should be printed: neither {@code --json} nor {@code -q}. */
    public boolean humanOutput() {
        return !json && !quiet;
    }
}
