package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.IoErrors;
import dev.jvz.cli.Json;
import dev.jvz.cli.PartialFile;
import dev.jvz.cli.ProgressPrinter;
import dev.jvz.image.Convert;
import dev.jvz.image.Disk;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop export IMAGE RAW}: the whole virtual disk into a raw file.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "export",
        description = {
            "Convert a ploop image into a raw disk file.",
            "",
            "Write the whole virtual disk of the ploop image IMAGE to the raw file RAW, which then has "
                    + "the disk's virtual size. Parts that read as zeros become holes, so RAW is sparse. "
                    + "IMAGE is opened read-only. RAW must not exist unless -f is given.",
            "",
            "IMAGE is a delta file, or a DiskDescriptor.xml (or its directory): then the disk as its "
                    + "active snapshot chain reads it, from the base (a raw base too) up to the top. The "
                    + "disk is locked for the export, so it must not be mounted.",
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
            "  jvz ploop export root.hdd disk.raw",
            "  jvz ploop export -f --json root.hdd /dev/shm/disk.raw",
            "  jvz ploop export /vz/private/101/root.hdd/DiskDescriptor.xml disk.raw"
        })
final class ExportCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-f", "--force"}, description = "Overwrite RAW if it exists.")
    boolean force;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "A ploop delta file, or a DiskDescriptor.xml or the directory holding it.")
    Path image;

    @Parameters(index = "1", paramLabel = "RAW", description = "The raw file to write.")
    Path raw;

    @Override
    public Integer call() throws IOException, ImageException {
        long start = System.nanoTime();
        Convert.Result r;
        try (Source src = open(image);
                ProgressPrinter progress = ProgressPrinter.forStderr(spec.commandLine().getErr(), "export",
                        common.quiet());
                PartialFile partial = PartialFile.guard(raw, force)) {
            // Whatever RAW held is gone once the export starts writing (it did not exist, or -f allowed
            // truncating it), so a failed or interrupted export removes the partial file instead of
            // leaving a disk that looks whole but is not. Never a device node or a symlink.
            try {
                r = Convert.export(src.image, src.image.clusterBytes(), raw, force, progress);
            } catch (FileAlreadyExistsException e) {
                throw e;
            } catch (IOException e) {
                removePartial(partial, e);
                throw IoErrors.namingTarget(raw, e);
            } catch (RuntimeException e) {
                removePartial(partial, e);
                throw e;
            }
        }
        ConvertSummary summary = ConvertSummary.of("export", image, raw, r, System.nanoTime() - start);
        if (common.json()) {
            Json.print(spec.commandLine().getOut(), summary);
        } else if (!common.quiet()) {
            summary.printHuman(spec.commandLine().getOut());
        }
        return ExitCodes.OK;
    }

    /**
     * What is read: a delta alone, or a disk's whole active chain. A disk stays locked for the whole
     * export, so no snapshot operation (and no mount) can change the chain under it.
     */
    private record Source(Disk disk, Image image) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            try (Disk d = disk) {
                image.close();
            }
        }
    }

    private static Source open(Path arg) throws IOException, ImageException {
        if (!DiskArgs.isDescriptor(arg)) {
            return new Source(null, Image.open(arg, false));
        }
        Disk disk = DiskArgs.open(arg);
        try {
            return new Source(disk, disk.openImage(false));
        } catch (IOException | ImageException | RuntimeException e) {
            try {
                disk.close();
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    private static void removePartial(PartialFile partial, Exception failure) {
        try {
            partial.deleteIfOwned();
        } catch (IOException cleanup) {
            failure.addSuppressed(cleanup);
        }
    }
}
