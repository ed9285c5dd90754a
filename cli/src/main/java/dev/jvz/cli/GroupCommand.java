package dev.jvz.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * A command that only groups subcommands ({@code jvz ploop}, {@code jvz ctl}, ...): alone it prints
 * its usage to stderr and exits {@link ExitCodes#USAGE}; {@code -h} prints it and exits 0. Subclasses
 * carry only their {@code @Command} annotation.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
public abstract class GroupCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public final Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
