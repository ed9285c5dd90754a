package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.Json;
import dev.jvz.cli.node.NodeOptions;
import dev.jvz.node.MountRecord;
import dev.jvz.node.NodeException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz ploop mount}: attach a disk as a block device and mount its file system. */
@Command(
        name = "mount",
        description = {
            "Attach a disk as a kernel block device and mount its file system.",
            "",
            "The jvz node (started if needed) opens the disk's delta stack, serves it over NBD on a "
                    + "Unix socket and attaches it: with nbd-client where the nbd kernel module exists, "
                    + "else with nbdfuse and a loop device. With -m the ext4 file system is mounted there; "
                    + "without, the block device is only attached and printed. The disk stays mounted "
                    + "after this command exits, until 'jvz ploop umount'."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  id, descriptor, mount_point, device, attach (NBD_CLIENT|FUSE_LOOP), socket, read_only",
            "",
            "Examples:",
            "  jvz ploop mount -m /vz/root/101 /vz/private/101/root.hdd/DiskDescriptor.xml",
            "  jvz ploop mount -r -m /mnt/ro root.hdd/DiskDescriptor.xml"
        })
final class MountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @Option(names = "-m", paramLabel = "DIR", description = "Mount the file system on DIR (an existing directory).")
    Path mountPoint;

    @Option(names = "-r", description = "Read-only: the export, the device and the mount.")
    boolean readOnly;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = "The disk (or its directory).")
    Path descriptor;

    @Override
    public Integer call() throws NodeException {
        MountRecord r = node.clientStartingNode().mount(descriptor, mountPoint, readOnly);
        if (common.json()) {
            Json.print(spec.commandLine().getOut(), r);
        } else if (!common.quiet()) {
            spec.commandLine().getOut().println(r.mountPoint() != null
                    ? "Mounted " + r.device() + " at " + r.mountPoint() + (readOnly ? " (read-only)" : "")
                    : "Attached " + r.device());
        }
        return 0;
    }
}
