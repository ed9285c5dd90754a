package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.cli.SizeConverter;
import dev.jvz.cli.Sizes;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.PloopHeader;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop init -s SIZE DELTA}: a new, empty ploop delta file.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "init",
        description = {
            "Create an empty ploop image file.",
            "",
            "Create the empty ploop image file DELTA with a virtual size of SIZE, rounded up to whole "
                    + "clusters as ploop does. The file holds only the header and the block table; no "
                    + "partition or file system is created inside. DELTA must not exist."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  file                the image created",
            "  version             format version, 1 or 2",
            "  virtual_size        virtual disk size, bytes (SIZE rounded up to a cluster)",
            "  cluster_size        cluster size, bytes",
            "  file_size           size of the new file, bytes",
            "",
            "Examples:",
            "  jvz ploop init -s 10G root.hdd",
            "  jvz ploop init -s 20971520 -b 256 -v 1 root.hdd     (10 GiB in sectors)"
        })
final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Virtual size: a number of 512-byte sectors, or a number with a suffix K, M, G or T "
                    + "(binary: 1G = 1024^3 bytes), as ploop init -s.")
    long sizeBytes;

    @Mixin
    FormatOptions format;

    @Parameters(index = "0", paramLabel = "DELTA", description = "The image file to create.")
    Path delta;

    /**
     * @param file the image created
     * @param version format version
     * @param virtualSize virtual size in bytes
     * @param clusterSize cluster size in bytes
     * @param fileSize size of the new file in bytes
     */
    record Result(String file, int version, long virtualSize, long clusterSize, long fileSize) {}

    @Override
    public Integer call() throws IOException {
        CreateOptions options = new CreateOptions(sizeBytes, format.clusterSectors, format.version);
        Image.create(delta, options);
        PloopHeader h = options.header();
        Result r = new Result(delta.toString(), h.version(), h.sizeBytes(), h.clusterBytes(), Files.size(delta));
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println("created " + r.file() + ": ploop v" + r.version() + ", " + Sizes.humanExact(r.virtualSize())
                    + ", " + Sizes.human(r.clusterSize()) + " clusters");
            out.flush();
        }
        return ExitCodes.OK;
    }
}
