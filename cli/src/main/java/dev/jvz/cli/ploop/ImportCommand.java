package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.IoErrors;
import dev.jvz.cli.Json;
import dev.jvz.cli.PartialFile;
import dev.jvz.cli.ProgressPrinter;
import dev.jvz.image.Convert;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop import RAW DELTA}: a raw disk file into a new ploop delta.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "import",
        description = {
            "Convert a raw disk file into a new ploop image.",
            "",
            "Create the ploop image DELTA with the content of the raw disk file RAW. The virtual size is "
                    + "RAW's size rounded up to whole clusters. All-zero clusters are not stored, so the "
                    + "image holds only data. DELTA must not exist; if the import fails it is removed.",
            "",
            "On a terminal a progress line is shown on stderr; a summary line follows on stdout."
        },
        footerHeading = ConvertSummary.JSON_HELP_HEADING,
        footer = {
            "  operation           \"import\" or \"export\"",
            "  source, target      the file read and the file written",
            "  virtual_size        virtual disk size, bytes",
            "  data_bytes          bytes of non-zero clusters copied",
            "  zero_clusters       zero or unallocated clusters left as holes",
            "  elapsed_seconds     wall time",
            "  bytes_per_second    virtual bytes processed per second",
            "",
            "Examples:",
            "  jvz ploop import disk.raw root.hdd",
            "  jvz ploop import -b 256 -v 1 --json disk.raw root.hdd"
        })
final class ImportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    FormatOptions format;

    @Parameters(index = "0", paramLabel = "RAW", description = "The raw disk file to read.")
    Path raw;

    @Parameters(index = "1", paramLabel = "DELTA", description = "The ploop image file to create.")
    Path delta;

    @Override
    public Integer call() throws IOException, ImageException {
        long start = System.nanoTime();
        Convert.Result r;
        // Convert removes DELTA itself when the import fails; PartialFile covers Ctrl-C and SIGTERM.
        try (ProgressPrinter progress = ProgressPrinter.forStderr(spec.commandLine().getErr(), "import", common.quiet());
                PartialFile partial = PartialFile.guard(delta, false)) {
            r = Convert.importRaw(raw, delta, format.clusterSectors, format.version, progress);
        } catch (IOException e) {
            throw IoErrors.namingTarget(delta, e);
        }
        ConvertSummary summary = ConvertSummary.of("import", raw, delta, r, System.nanoTime() - start);
        if (common.json()) {
            Json.print(spec.commandLine().getOut(), summary);
        } else if (!common.quiet()) {
            summary.printHuman(spec.commandLine().getOut());
        }
        return ExitCodes.OK;
    }
}
