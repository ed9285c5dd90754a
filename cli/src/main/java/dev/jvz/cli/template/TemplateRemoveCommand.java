package dev.jvz.cli.template;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz template remove NAME}: deletes a template cache. */
@Command(
        name = "remove",
        description = {"Delete a template cache. Containers created from it keep their files."},
        footerHeading = "%nExamples:%n",
        footer = {"  jvz template remove debian-bookworm"})
final class TemplateRemoveCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    TemplateOptions dir;

    @Parameters(index = "0", paramLabel = "NAME", description = "Template name.")
    String name;

    @Override
    public Integer call() throws CliException {
        dir.call(t -> {
            t.remove(name);
            return name;
        });
        if (common.humanOutput()) {
            spec.commandLine().getOut().println("removed template " + name);
        }
        return 0;
    }
}
