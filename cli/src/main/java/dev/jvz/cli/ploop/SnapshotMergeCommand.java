package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop snapshot-merge [-u UUID] DiskDescriptor.xml}, also spelt {@code merge}: older ploop
 * releases' name for it, kept so their scripts run (current ploop only answers "use snapshot-merge").
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "snapshot-merge",
        aliases = "merge",
        description = {
            "Merge a delta into its parent (alias: merge).",
            "",
            "Copy every cluster of the delta UUID (default: the current top) into its parent delta, then "
                    + "drop it: the parent's file takes the merged delta's UUID and the merged file is "
                    + "removed. The disk reads the same before and after. Refused for the base image and "
                    + "when the parent has other children (they would see the merged data).",
            "",
            "Crash-safe: the descriptor stops naming the merged file only after the parent holds all its "
                    + "data durably; until then the merged delta still hides the half-merged parent.",
            "",
            "No progress line: the engine's merge has no progress hook yet.",
            "",
            "On a mounted disk, the jvz node that serves it merges the given snapshot, or the active top, "
                    + "down into its parent while the disk stays in use."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  descriptor          the DiskDescriptor.xml changed",
            "  uuid                the delta merged down; its parent's file now carries",
            "                      this UUID",
            "  parent_uuid         the parent's former UUID, no longer in the descriptor",
            "  merged_file         the merged delta's file (removed)",
            "  into_file           the parent's file, which now holds the merged data",
            "",
            "Examples:",
            "  jvz ploop snapshot-merge root.hdd/DiskDescriptor.xml    (merge the top down)",
            "  jvz ploop snapshot-merge -u 0e4f1b9c-3a5d-4b2e-9f61-2d7c8a4e5b10 root.hdd",
            "  jvz ploop merge root.hdd/DiskDescriptor.xml             (older ploop spelling; the same)"
        })
final class SnapshotMergeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", converter = GuidConverter.class,
            description = "The delta to merge into its parent. Default: the current top.")
    String uuid;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = DiskParam.DESCRIPTION)
    Path disk;

    @Override
    public Integer call() throws IOException, ImageException, dev.jvz.node.NodeException, CliException {
        Merging.run(DiskParam.require(spec, disk), uuid, common, spec.commandLine().getOut());
        return ExitCodes.OK;
    }
}
