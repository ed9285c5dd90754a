package dev.jvz.cli.template;

import dev.jvz.cli.ExitCodes;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvz template create}: groups the kinds of template; alone it prints its usage. */
@Command(
        name = "create",
        description = {"Create an OS template (busybox: seconds; debian: debootstrap, minutes)."},
        subcommands = {TemplateCreateBusyboxCommand.class, TemplateCreateDebianCommand.class},
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz template create busybox",
            "  jvz template create debian debian-12 --suite bookworm"
        })
final class TemplateCreateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    boolean help;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
