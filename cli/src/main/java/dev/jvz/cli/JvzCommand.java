package dev.jvz.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/**
 * The top command, {@code jvz}: only groups subcommands; alone it prints its usage.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "jvz",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "OpenVZ-style containers, ploop images and live migration on a stock Linux kernel.",
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz ploop init -s 10G root.hdd",
            "  jvz ploop info root.hdd",
            "  jvz ploop import disk.raw root.hdd",
            "  jvz help ploop",
            "  jvz ploop import --help"
        })
final class JvzCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.USAGE;
    }
}
