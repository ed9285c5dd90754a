package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.cli.SizeConverter;
import dev.jvz.cli.Sizes;
import dev.jvz.image.Disk;
import dev.jvz.image.ImageException;
import dev.jvz.image.PloopFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop grow -s SIZE DiskDescriptor.xml}: a larger virtual disk, offline.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "grow",
        description = {
            "Grow the virtual size of a disk, mounted or not.",
            "",
            "Set the disk's virtual size to SIZE, rounded up to whole clusters. Only the top delta "
                    + "changes, as in ploop; when its block table outgrows the header clusters, the data "
                    + "clusters in the way are first moved to the end of the file, each one durably before "
                    + "its table entry changes. Shrinking is refused.",
            "",
            "ploop also grows a bare delta file (ploop grow -s SIZE DELTA); jvz grows whole disks only, "
                    + "through their DiskDescriptor.xml, and refuses a bare delta.",
            "",
            "No progress line: the engine's grow has no progress hook yet.",
            "",
            "Unmounted: only the image grows; its ext4 grows to fill the disk at the next "
                    + "'jvz ploop mount' (e2fsck -f, resize2fs). Mounted: the jvz node that serves the disk "
                    + "grows the image with I/O paused for the moment, raises the loop device's size and "
                    + "runs resize2fs online; where the host denies online resize (it needs "
                    + "CAP_SYS_RESOURCE), the output says so and the file system grows at the next mount. "
                    + "Online grow needs the nbdfuse path; a disk attached with nbd-client must be "
                    + "unmounted first."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  descriptor          the DiskDescriptor.xml changed",
            "  old_size            virtual size before, bytes",
            "  new_size            virtual size after, bytes (SIZE rounded up to a cluster)",
            "  fs_resized          mounted disks: whether the file system was resized online",
            "  note                mounted disks: why it was not, when it was not",
            "",
            "Examples:",
            "  jvz ploop grow -s 20G root.hdd/DiskDescriptor.xml",
            "  jvz ploop grow -s 41943040 --json root.hdd          (20 GiB in sectors)"
        })
final class GrowCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "New virtual size: a number of 512-byte sectors, or a number with a suffix K, M, G "
                    + "or T (binary), as ploop grow -s.")
    long sizeBytes;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = DiskParam.DESCRIPTION)
    Path disk;

    /**
     * @param descriptor the descriptor changed
     * @param oldSize virtual size before, bytes
     * @param newSize virtual size after, bytes
     * @param fsResized mounted disks: whether the file system was resized online; null when unmounted
     * @param note mounted disks: why it was not resized; null otherwise
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    record Result(String descriptor, long oldSize, long newSize, Boolean fsResized, String note) {}

    @Override
    public Integer call() throws IOException, ImageException, dev.jvz.node.NodeException {
        if (!DiskArgs.isDescriptor(disk)) {
            throw new ImageException(disk + ": growing a bare delta file is not supported; grow the disk through "
                    + "its DiskDescriptor.xml: jvz ploop grow -s SIZE DIR/DiskDescriptor.xml");
        }
        Result r;
        var node = NodeRouting.servingNode(disk);
        if (node.isPresent()) {
            Path xml = DiskArgs.descriptorFile(disk);
            long before = Disk.readDescriptor(xml).diskSizeSectors() * PloopFormat.SECTOR_SIZE;
            var g = node.get().live("grow", xml, null, sizeBytes);
            r = new Result(xml.toString(), before, g.get("size").asLong(), g.get("fsResized").asBoolean(),
                    g.hasNonNull("note") ? g.get("note").asText() : null);
        } else {
            try (Disk d = DiskArgs.open(disk)) {
                long before = d.descriptor().diskSizeSectors() * PloopFormat.SECTOR_SIZE;
                d.grow(sizeBytes);
                r = new Result(d.descriptorPath().toString(), before,
                        d.descriptor().diskSizeSectors() * PloopFormat.SECTOR_SIZE, null, null);
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println(r.oldSize() == r.newSize()
                    ? r.descriptor() + " already has " + Sizes.humanExact(r.newSize()) + "; nothing to do"
                    : "grew " + r.descriptor() + " from " + Sizes.humanExact(r.oldSize()) + " to "
                            + Sizes.humanExact(r.newSize()));
            if (r.note() != null) {
                out.println("note: " + r.note());
            }
            out.flush();
        }
        return ExitCodes.OK;
    }
}
