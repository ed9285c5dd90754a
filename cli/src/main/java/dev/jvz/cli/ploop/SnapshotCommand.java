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
            "Take a snapshot of an unmounted disk.",
            "",
            "The current top delta becomes the read-only snapshot UUID (a new random UUID unless -u is "
                    + "given) and a new, empty top delta is created beside the base image, named after it "
                    + "plus a fresh UUID (root.hdd.{...}). The new top takes the top UUID "
                    + DiskDescriptor.TOP_GUID + ", as in ploop. DiskDescriptor.xml is replaced atomically "
                    + "after the new file exists, so a crash leaves at most an unused file.",
            "",
            "The disk must not be mounted: its DiskDescriptor.xml.lck must be free (exit 23 otherwise)."
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
    public Integer call() throws IOException, ImageException {
        DiskParam.require(spec, disk);
        Result r;
        try (Disk d = DiskArgs.open(disk)) {
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
