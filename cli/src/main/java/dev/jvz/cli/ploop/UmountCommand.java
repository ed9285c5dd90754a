package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.node.NodeOptions;
import dev.jvz.node.MountRecord;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz ploop umount}: undo every layer of a mount. */
@Command(
        name = "umount",
        description = {
            "Unmount a disk and detach its block device.",
            "",
            "Undoes every layer of 'jvz ploop mount': the file system, the loop device or /dev/nbdN, "
                    + "the FUSE mount, the NBD export, and closes the images cleanly. A busy file system "
                    + "stays mounted (exit 12): stop what uses it and retry."
        },
        footerHeading = "%nExamples:%n",
        footer = {"  jvz ploop umount -m /vz/root/101", "  jvz ploop umount root.hdd/DiskDescriptor.xml"})
final class UmountCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Target target;

    static final class Target {
        @Option(names = "-m", paramLabel = "DIR", description = "The mount point.")
        Path mountPoint;

        @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = "The disk (or its directory).")
        Path descriptor;
    }

    @Override
    public Integer call() throws NodeException {
        MountRecord r = new NodeClient(node.paths()).umount(target.mountPoint != null ? target.mountPoint
                : target.descriptor);
        if (!common.quiet()) {
            spec.commandLine().getOut().println("Unmounted " + r.descriptor()
                    + (r.mountPoint() != null ? " from " + r.mountPoint() : ""));
        }
        return 0;
    }
}
