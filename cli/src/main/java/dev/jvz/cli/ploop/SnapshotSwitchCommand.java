package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
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
 * {@code jvz ploop snapshot-switch -u UUID DiskDescriptor.xml}.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "snapshot-switch",
        description = {
            "Switch an unmounted disk to a snapshot, discarding the current top.",
            "",
            "The current top delta and everything written to it since the last snapshot is DISCARDED; "
                    + "a new, empty top delta is created on top of snapshot UUID, so the disk then reads "
                    + "exactly as that snapshot (and takes its virtual size). Take a snapshot first to "
                    + "keep the current state. Refused when the current top has children.",
            "",
            "The disk must not be mounted: its DiskDescriptor.xml.lck must be free (exit 23 otherwise)."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  descriptor          the DiskDescriptor.xml changed",
            "  uuid                the snapshot switched to",
            "  discarded_file      the former top delta (removed)",
            "  top_file            the new, empty top delta",
            "",
            "Examples:",
            "  jvz ploop snapshot-list root.hdd/DiskDescriptor.xml",
            "  jvz ploop snapshot-switch -u 0e4f1b9c-3a5d-4b2e-9f61-2d7c8a4e5b10 root.hdd"
        })
final class SnapshotSwitchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-u", "--uuid"}, required = true, paramLabel = "UUID", converter = GuidConverter.class,
            description = "The snapshot to switch to (see 'jvz ploop snapshot-list').")
    String uuid;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = DiskParam.DESCRIPTION)
    Path disk;

    /**
     * @param descriptor the descriptor changed
     * @param uuid the snapshot switched to
     * @param discardedFile the former top, removed
     * @param topFile the new top delta
     */
    record Result(String descriptor, String uuid, String discardedFile, String topFile) {}

    @Override
    public Integer call() throws IOException, ImageException, CliException {
        DiskParam.require(spec, disk);
        Result r;
        try (Disk d = DiskArgs.open(disk)) {
            if (d.descriptor().snapshot(uuid) == null) {
                throw DiskArgs.noSnapshot(d.descriptorPath(), uuid);
            }
            String top = d.descriptor().topGuid();
            String discarded = d.fileOf(top).toString();
            d.switchTo(uuid);
            r = new Result(d.descriptorPath().toString(), uuid, discarded, d.fileOf(top).toString());
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println("switched to snapshot " + r.uuid() + ": " + r.discardedFile() + " discarded; new top delta "
                    + r.topFile());
            out.flush();
        }
        return ExitCodes.OK;
    }
}
