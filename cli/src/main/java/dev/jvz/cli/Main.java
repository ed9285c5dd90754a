package dev.jvz.cli;

import java.io.PrintWriter;
import java.nio.charset.Charset;
import picocli.CommandLine;

/**
 * Entry point of the {@code jvz} launcher (bin/jvz).
 *
 * <p>{@link #commandLine} builds the whole command tree with jvz's error handling and help layout;
 * tests call it with their own writers to capture what a command prints. To add a subcommand: write
 * one class implementing {@code Callable<Integer>} with {@code @Command}, {@code @Mixin CommonOptions},
 * output through {@code spec.commandLine().getOut()}, failures as exceptions (never
 * {@code System.exit}), and list it in its group's {@code SUBCOMMANDS} (see {@link CommandTree}).
 *
 * <p>Each {@link #commandLine} result serves one run on one thread.
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) {
        Charset cs = Charset.defaultCharset();
        PrintWriter out = new PrintWriter(new java.io.OutputStreamWriter(System.out, cs), true);
        PrintWriter err = new PrintWriter(new java.io.OutputStreamWriter(System.err, cs), true);
        int code = run(out, err, args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** Runs {@code jvz args...} and returns the exit code; everything printed goes to the given writers. */
    public static int run(PrintWriter out, PrintWriter err, String... args) {
        return commandLineFor(out, err, args).execute(args);
    }

    /** The configured part of the command tree that a run with {@code args} needs ({@link CommandTree}). */
    static CommandLine commandLineFor(PrintWriter out, PrintWriter err, String... args) {
        CommandLine cl = new CommandLine(new JvzCommand());
        CommandTree.addFor(cl, args);
        return configure(cl, out, err);
    }

    /** The configured {@code jvz} command tree, all of it, writing to {@code out} and {@code err}. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new JvzCommand());
        CommandTree.addAll(cl);
        return configure(cl, out, err);
    }

    /** jvz's writers, error handling and help layout, set on {@code cl} and every command under it. */
    private static CommandLine configure(CommandLine cl, PrintWriter out, PrintWriter err) {
        ErrorHandler handler = new ErrorHandler();
        cl.setOut(out)
                .setErr(err)
                .setExecutionExceptionHandler(handler)
                .setParameterExceptionHandler(handler)
                .setUsageHelpAutoWidth(true);
        applyHelpLayout(cl);
        return cl;
    }

    /** Every command documents the exit codes; set here once instead of in each annotation. */
    private static void applyHelpLayout(CommandLine cl) {
        cl.getCommandSpec().usageMessage()
                .descriptionHeading("%n")
                .parameterListHeading("%nArguments:%n")
                .optionListHeading("%nOptions:%n")
                .commandListHeading("%nCommands:%n")
                .exitCodeListHeading("%nExit codes:%n")
                .exitCodeList(ExitCodes.helpTable())
                .sortOptions(false);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand)) {
                applyHelpLayout(sub);
            }
        }
    }
}
