package dev.jvz.cli.template;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.ct.TemplateInfo;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz template create busybox [NAME]}: the minimal template from the host's static busybox. */
@Command(
        name = "busybox",
        description = {"Create a minimal template from the host's static busybox (package busybox-static).", "",
            "The root holds /bin/busybox with a symlink per applet (sh, ip, ping, hostname, df, ...), "
                    + "/sbin/jvz-init (also /sbin/init), /etc/passwd, group, hostname, hosts, resolv.conf. "
                    + "Made in about a second; a few hundred KiB."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  {name, cache, size_bytes, created, os, init, stop_signal}",
            "",
            "Examples:",
            "  jvz template create busybox",
            "  jvz template create busybox bb --force --template-dir /srv/template"
        })
final class TemplateCreateBusyboxCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    TemplateOptions dir;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME", description = "Template name (default: busybox).")
    String name = "busybox";

    @Option(names = "--force", description = "Replace the template if it exists.")
    boolean force;

    @Override
    public Integer call() throws CliException {
        TemplateInfo t = dir.call(ts -> ts.createBusybox(name, force));
        TemplateListCommand.printCreated(spec.commandLine().getOut(), common, t);
        return 0;
    }
}
