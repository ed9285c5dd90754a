package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;

/**
 * What {@code snapshot-merge} and {@code merge} share: merge one delta (the top by default) down into
 * its parent through {@link Disk#merge}. Stateless.
 *
 * <p>No progress line: the engine's merge has no progress hook yet, and a made-up one would lie.
 */
final class Merging {
    private Merging() {}

    /**
     * @param descriptor the descriptor changed
     * @param uuid the delta merged down; the parent's file now carries this UUID
     * @param parentUuid the parent's former UUID, gone from the descriptor
     * @param mergedFile the merged delta's file, removed
     * @param intoFile the parent's file, which now holds the merged data
     */
    record Result(String descriptor, String uuid, String parentUuid, String mergedFile, String intoFile) {}

    static void run(Path diskArg, String uuidOrNull, CommonOptions common, PrintWriter out)
            throws IOException, ImageException, dev.jvz.node.NodeException, CliException {
        Result r;
        var node = NodeRouting.servingNode(diskArg);
        if (node.isPresent()) {
            // Mounted: the node merges a snapshot below the active top while serving the disk.
            Path xml = DiskArgs.descriptorFile(diskArg);
            DiskDescriptor before = Disk.readDescriptor(xml);
            String child = uuidOrNull == null ? before.topGuid() : uuidOrNull;
            DiskDescriptor.Snapshot s = mergeable(xml, before, child);
            node.get().live("snapshot-merge", xml, child, null);
            r = new Result(xml.toString(), child, s.parentGuid(), xml.getParent().resolve(before.image(child).file())
                    .toString(), xml.getParent().resolve(before.image(s.parentGuid()).file()).toString());
        } else try (Disk d = DiskArgs.open(diskArg)) {
            DiskDescriptor desc = d.descriptor();
            String child = uuidOrNull == null ? desc.topGuid() : uuidOrNull;
            DiskDescriptor.Snapshot s = mergeable(d.descriptorPath(), desc, child);
            String mergedFile = d.fileOf(child).toString();
            String intoFile = d.fileOf(s.parentGuid()).toString();
            d.merge(child);
            r = new Result(d.descriptorPath().toString(), child, s.parentGuid(), mergedFile, intoFile);
        }
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println("merged " + r.mergedFile() + " into " + r.intoFile() + " (which now carries " + r.uuid()
                    + "); " + r.mergedFile() + " removed");
            out.flush();
        }
    }

    /** The snapshot {@code child} of {@code desc}, refused when unknown or when it is the base. */
    private static DiskDescriptor.Snapshot mergeable(Path xml, DiskDescriptor desc, String child)
            throws ImageException, CliException {
        DiskDescriptor.Snapshot s = desc.snapshot(child);
        if (s == null) {
            throw DiskArgs.noSnapshot(xml, child);
        }
        if (s.isBase()) {
            throw new ImageException(child + " is the base image of " + xml
                    + "; it has no parent to merge into (merge one of its children instead)");
        }
        return s;
    }
}
