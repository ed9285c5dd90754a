package dev.jvz.cli.template;

import dev.jvz.cli.GroupCommand;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code jvz template}: OS templates, the tarball caches new containers are unpacked from. Alone it
 * prints its usage.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "template",
        description = {
            "Create, list and remove OS templates.",
            "",
            "A template is a gzip tarball of a root file system, TEMPLATE/cache/NAME.tar.gz, as OpenVZ "
                    + "kept them; 'jvz ctl create' unpacks one into a new container's disk. Templates jvz "
                    + "makes boot /sbin/jvz-init, a small init that reaps orphans and halts on SIGTERM."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz template create busybox                 # seconds; for tests and demos",
            "  jvz template create debian                  # debootstrap bookworm minbase; minutes",
            "  jvz template list",
            "  jvz template remove busybox"
        })
public final class TemplateCommand extends GroupCommand {
    /** Its subcommands in the order its help lists them; registered by {@code CommandTree}. */
    public static final List<Class<?>> SUBCOMMANDS = List.of(TemplateCreateCommand.class, TemplateListCommand.class, TemplateRemoveCommand.class);
}
