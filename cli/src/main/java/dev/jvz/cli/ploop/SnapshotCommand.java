package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageException;
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
 * {@code jvz ploop snapshot [-u UUID] DiskDescriptor.xml}: freeze the current top, start a new one.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "snapshot",
        description = {
            "Take a snapshot of a disk, mounted or not.",
            "",
            "The current top delta becomes the read-only snapshot UUID (a new random UUID unless -u is "
                    + "given) and a new, empty top delta is created beside the base image, named after it "
                    + "plus a fresh UUID (root.hdd.{...}). The new top takes the top UUID "
                    + DiskDescriptor.TOP_GUID + ", as in ploop. DiskDescriptor.xml is replaced atomically "
                    + "after the new file exists, so a crash leaves at most an unused file.",
            "",
            "If the disk is mounted, the jvz node that serves it ($JVZ_NODE_DIR or the default node) takes "
                    + "the snapshot: it freezes the file system (FIFREEZE) so the snapshot is consistent, "
                    + "pauses I/O while the top delta is switched, and thaws it again."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  descriptor          the DiskDescriptor.xml changed",
            "  uuid                the new snapshot's UUID (the frozen former top)",
            "  snapshot_file       its delta file, now read-only",
            "  top_file            the new, empty top delta",
            "",
            "Examples:",
            "  jvz ploop snapshot root.hdd/DiskDescriptor.xml",
            "  jvz ploop snapshot -u 0e4f1b9c-3a5d-4b2e-9f61-2d7c8a4e5b10 --json root.hdd"
        })
final class SnapshotCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", converter = GuidConverter.class,
            description = "UUID for the new snapshot, with or without braces. Default: a new random one.")
    String uuid;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = DiskParam.DESCRIPTION)
    Path disk;

    /**
     * @param descriptor the descriptor changed
     * @param uuid the snapshot's UUID
     * @param snapshotFile its (now read-only) delta
     * @param topFile the new top delta
     */
    record Result(String descriptor, String uuid, String snapshotFile, String topFile) {}

    @Override
    public Integer call() throws IOException, ImageException, dev.jvz.node.NodeException {
        DiskParam.require(spec, disk);
        Result r;
        var node = NodeRouting.servingNode(disk);
        if (node.isPresent()) {
            // Mounted: the node freezes the file system, pauses I/O and switches the top delta.
            String s = node.get().live("snapshot", DiskArgs.descriptorFile(disk), uuid, null).get("guid").asText();
            DiskDescriptor after = Disk.readDescriptor(DiskArgs.descriptorFile(disk));
            Path dir = DiskArgs.descriptorFile(disk).getParent();
            r = new Result(DiskArgs.descriptorFile(disk).toString(), s, dir.resolve(after.image(s).file()).toString(),
                    dir.resolve(after.image(after.topGuid()).file()).toString());
        } else try (Disk d = DiskArgs.open(disk)) {
            String s = d.snapshot(uuid);
            r = new Result(d.descriptorPath().toString(), s, d.fileOf(s).toString(),
                    d.fileOf(d.descriptor().topGuid()).toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println("snapshot " + r.uuid() + " taken: " + r.snapshotFile() + " is now read-only; new top delta "
                    + r.topFile());
            out.flush();
        }
        return ExitCodes.OK;
    }
}
