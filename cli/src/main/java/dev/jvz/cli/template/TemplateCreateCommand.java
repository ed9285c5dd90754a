package dev.jvz.cli.template;

import dev.jvz.cli.GroupCommand;
import picocli.CommandLine.Command;

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
final class TemplateCreateCommand extends GroupCommand {}
