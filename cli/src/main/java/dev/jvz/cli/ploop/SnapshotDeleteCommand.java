package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop snapshot-delete -u UUID DiskDescriptor.xml}.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "snapshot-delete",
        description = {
            "Delete a snapshot of a disk, mounted or not.",
            "",
            "What happens depends on the snapshot's children, as in ploop: with none, its delta file is "
                    + "removed; with one, that child is merged down into it (the snapshot's file then "
                    + "carries the child's UUID, and the disk reads the same); with several, it is only "
                    + "marked temporary, because they all still need its data. The base image and the "
                    + "current top cannot be deleted.",
            "",
            "A disk mounted by the jvz node is changed by that node while it stays mounted and written: "
                    + "deleting the snapshot just under the current top merges the top down into it online "
                    + "(as ploop does), and that snapshot's file becomes the top. No freeze is needed: a "
                    + "delete changes no content. A disk locked by anything else is refused (exit 23)."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  descriptor          the DiskDescriptor.xml changed",
            "  uuid                the snapshot deleted",
            "  action              \"removed\" (no children), \"merged_child\" (its one",
            "                      child was merged into it) or \"marked_temporary\"",
            "                      (several children)",
            "  removed_file        the delta file removed, or null when marked temporary",
            "",
            "Examples:",
            "  jvz ploop snapshot-list root.hdd/DiskDescriptor.xml",
            "  jvz ploop snapshot-delete -u 0e4f1b9c-3a5d-4b2e-9f61-2d7c8a4e5b10 root.hdd"
        })
final class SnapshotDeleteCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-u", "--uuid"}, required = true, paramLabel = "UUID", converter = GuidConverter.class,
            description = "The snapshot to delete (see 'jvz ploop snapshot-list').")
    String uuid;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = DiskParam.DESCRIPTION)
    Path disk;

    /**
     * @param descriptor the descriptor changed
     * @param uuid the snapshot deleted
     * @param action removed, merged_child or marked_temporary
     * @param removedFile the file removed, or null
     */
    record Result(String descriptor, String uuid, String action, String removedFile) {}

    /** What deleting {@link #uuid} from {@code desc} will do, decided by its children as ploop does. */
    private Result describe(Path xml, DiskDescriptor desc) throws CliException {
        if (desc.snapshot(uuid) == null) {
            throw DiskArgs.noSnapshot(xml, uuid);
        }
        List<DiskDescriptor.Snapshot> kids = desc.children(uuid);
        return switch (kids.size()) {
            case 0 -> new Result(xml.toString(), uuid, "removed", fileOf(xml, desc, uuid));
            case 1 -> new Result(xml.toString(), uuid, "merged_child", fileOf(xml, desc, kids.getFirst().guid()));
            default -> new Result(xml.toString(), uuid, "marked_temporary", null);
        };
    }

    private static String fileOf(Path xml, DiskDescriptor desc, String guid) {
        return xml.getParent().resolve(desc.image(guid).file()).toString();
    }

    @Override
    public Integer call() throws IOException, ImageException, CliException, dev.jvz.node.NodeException {
        DiskParam.require(spec, disk);
        Result r;
        var node = NodeRouting.servingNode(disk);
        if (node.isPresent()) {
            // Mounted: the node that serves the disk deletes live (Disk.deleteSnapshotLive).
            Path xml = DiskArgs.descriptorFile(disk);
            r = describe(xml, Disk.readDescriptor(xml));
            node.get().live("snapshot-delete", xml, uuid, null);
        } else try (Disk d = DiskArgs.open(disk)) {
            r = describe(d.descriptorPath(), d.descriptor());
            d.deleteSnapshot(uuid);
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println(switch (r.action()) {
                case "removed" -> "snapshot " + r.uuid() + " deleted; " + r.removedFile() + " removed";
                case "merged_child" -> "snapshot " + r.uuid() + " deleted: its child was merged into it; "
                        + r.removedFile() + " removed";
                default -> "snapshot " + r.uuid() + " marked temporary: several snapshots still depend on it";
            });
            out.flush();
        }
        return ExitCodes.OK;
    }
}
