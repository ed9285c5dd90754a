package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.cli.Sizes;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop info IMAGE}: size, format and allocation of an image, without changing it.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "info",
        description = {
            "Show size, format and allocation of a ploop image.",
            "",
            "Show the virtual size, cluster size, format version and allocation of a ploop image. "
                    + "IMAGE is a delta file, or a DiskDescriptor.xml (or its directory): then every file of "
                    + "the active snapshot chain is shown, base first, and the allocation counts a cluster "
                    + "once whichever delta holds it (a raw base holds all of them).",
            "",
            "The files are opened read-only and never changed, and the disk is not locked, so this also "
                    + "works on a disk that is mounted; its numbers are then a snapshot of a moving target."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  virtual_size        virtual disk size, bytes",
            "  cluster_size        cluster size, bytes",
            "  cluster_sectors     cluster size, 512-byte sectors",
            "  version             format version, 1 or 2",
            "  clusters            number of virtual clusters",
            "  allocated_clusters  clusters held by some delta",
            "  deltas              one object per file, base first:",
            "    file, format (\"ploop\", or \"raw\" for a raw base), version (0 for raw),",
            "    virtual_size, file_size, allocated_clusters, allocated_bytes,",
            "    in_use (true/false), flags (list: empty, conversion_in_progress)",
            "",
            "Examples:",
            "  jvz ploop info root.hdd",
            "  jvz ploop info --json root.hdd | jq .allocated_clusters",
            "  jvz ploop info /vz/private/101/root.hdd/DiskDescriptor.xml"
        })
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "IMAGE", description = "A ploop delta file, or a DiskDescriptor.xml or the directory holding it.")
    Path image;

    @Override
    public Integer call() throws IOException, ImageException {
        DiskInfo info = DiskInfo.readChain(ImageInput.chain(image));
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, info);
        } else if (!common.quiet()) {
            printHuman(out, info);
        }
        return ExitCodes.OK;
    }

    static void printHuman(PrintWriter out, DiskInfo info) {
        boolean single = info.deltas().size() == 1;
        if (single) {
            row(out, "image", info.deltas().getFirst().file());
        }
        row(out, "format", "ploop v" + info.version());
        row(out, "virtual size", Sizes.humanExact(info.virtualSize()));
        row(out, "cluster size", Sizes.human(info.clusterSize()) + " (" + info.clusterSectors() + " sectors)");
        row(out, "allocated", info.allocatedClusters() + " of " + info.clusters() + " clusters ("
                + Sizes.human(info.allocatedClusters() * info.clusterSize()) + ")");
        if (single) {
            printDelta(out, "", info.deltas().getFirst());
        } else {
            out.println("deltas (base first):");
            int i = 0;
            for (DiskInfo.DeltaInfo d : info.deltas()) {
                row(out, "  [" + i++ + "] image", d.file() + (d.format().equals("raw") ? " (raw)" : ""));
                row(out, "      allocated", d.allocatedClusters() + " clusters (" + Sizes.human(d.allocatedBytes()) + ")");
                printDelta(out, "      ", d);
            }
        }
        out.flush();
    }

    private static void printDelta(PrintWriter out, String indent, DiskInfo.DeltaInfo d) {
        row(out, indent + "file size", Sizes.humanExact(d.fileSize()));
        row(out, indent + "in use", d.inUse() ? "yes (open elsewhere, or not closed cleanly)" : "no");
        row(out, indent + "flags", d.flags().isEmpty() ? "none" : String.join(", ", d.flags()));
    }

    private static void row(PrintWriter out, String name, String value) {
        out.printf("%-18s %s%n", name + ":", value);
    }
}
