package dev.jvz.cli.template;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.ct.TemplateInfo;
import dev.jvz.ct.Templates;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz template create debian [NAME]}: a Debian root by debootstrap. */
@Command(
        name = "debian",
        description = {"Create a Debian template with debootstrap (needs network access to the mirror; minutes).", "",
            "Runs 'debootstrap --variant=VARIANT SUITE DIR MIRROR', adds /sbin/jvz-init (and /sbin/init when "
                    + "the variant has no init) and replaces the host's /etc/hostname and /etc/resolv.conf "
                    + "that debootstrap copies in."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  {name, cache, size_bytes, created, os, init, stop_signal}",
            "",
            "Examples:",
            "  jvz template create debian                           # debian-bookworm, minbase",
            "  jvz template create debian debian-13 --suite trixie",
            "  jvz template create debian --mirror http://mirror.example/debian --variant buildd"
        })
final class TemplateCreateDebianCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    TemplateOptions dir;

    @Parameters(index = "0", arity = "0..1", paramLabel = "NAME",
            description = "Template name (default: debian-SUITE).")
    String name;

    @Option(names = "--suite", paramLabel = "SUITE", description = "Debian suite or code name (default: bookworm).")
    String suite = "bookworm";

    @Option(names = "--mirror", paramLabel = "URL", description = "Debian mirror (default: http://deb.debian.org/debian).")
    String mirror = "http://deb.debian.org/debian";

    @Option(names = "--variant", paramLabel = "V", description = "debootstrap variant: minbase (default), buildd, "
            + "or default (debootstrap's own).")
    String variant = "minbase";

    @Option(names = "--force", description = "Replace the template if it exists.")
    boolean force;

    @Override
    public Integer call() throws CliException {
        String n = name != null ? name : "debian-" + suite;
        Templates.validateName(n);
        Templates.validateDebian(suite, mirror, variant);
        if (common.humanOutput()) {
            spec.commandLine().getErr().println("jvz template: running debootstrap " + suite + " from " + mirror
                    + " (takes minutes)...");
            spec.commandLine().getErr().flush();
        }
        TemplateInfo t = dir.call(ts -> ts.createDebian(n, suite, mirror, variant, force));
        TemplateListCommand.printCreated(spec.commandLine().getOut(), common, t);
        return 0;
    }
}
