package dev.jvz.cli.template;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.Json;
import dev.jvz.cli.Sizes;
import dev.jvz.ct.TemplateInfo;
import dev.jvz.ct.Templates;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvz template list}: the template caches. */
@Command(
        name = "list",
        description = {"List the templates: name, OS, cache size, creation time."},
        footerHeading = "%nJSON output (--json, -j):%n",
        footer = {
            "  a list of {name, cache, size_bytes, created, os, init, stop_signal}",
            "",
            "Examples:",
            "  jvz template list",
            "  jvz template list -j | jq -r '.[].name'"
        })
final class TemplateListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    TemplateOptions dir;

    @Option(names = "-j", description = "Same as --json (vzlist's spelling).")
    boolean j;

    @Override
    public Integer call() throws CliException {
        List<TemplateInfo> all = dir.call(Templates::list);
        PrintWriter out = spec.commandLine().getOut();
        if (common.json() || j) {
            Json.print(out, all.stream().map(TemplateOptions.Json::of).toList());
            return 0;
        }
        if (common.quiet()) {
            return 0;
        }
        if (all.isEmpty()) {
            out.println("no templates in " + dir.templates().dir() + "; create one with 'jvz template create busybox'");
        } else {
            out.printf("%-24s %-28s %10s  %s%n", "NAME", "OS", "SIZE", "CREATED");
            for (TemplateInfo t : all) {
                out.printf("%-24s %-28s %10s  %s%n", t.name(), t.os(), Sizes.human(t.sizeBytes()), t.created());
            }
        }
        out.flush();
        return 0;
    }

    /** What a create prints: the JSON object, or one line. */
    static void printCreated(PrintWriter out, CommonOptions common, TemplateInfo t) {
        if (common.json()) {
            Json.print(out, TemplateOptions.Json.of(t));
        } else if (!common.quiet()) {
            out.println("created template " + t.name() + " (" + t.os() + ", " + Sizes.human(t.sizeBytes()) + "): "
                    + t.cache());
            out.flush();
        }
    }
}
