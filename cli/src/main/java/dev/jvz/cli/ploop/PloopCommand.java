package dev.jvz.cli.ploop;

import dev.jvz.cli.GroupCommand;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code jvz ploop}: the ploop image tool, with ploop's command names and options. Alone it prints
 * its usage. Each subcommand is one class in this package.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "ploop",
        mixinStandardHelpOptions = false,
        description = {
            "Create, inspect, check, snapshot and convert ploop disk images.",
            "",
            "The images are in the OpenVZ ploop format, which QEMU reads and writes as 'parallels'. "
                    + "Command names and options follow ploop(8)."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz ploop init -s 10G root.hdd/root.hdd",
            "  jvz ploop info --json root.hdd/DiskDescriptor.xml",
            "  jvz ploop snapshot root.hdd/DiskDescriptor.xml",
            "  jvz ploop snapshot-list root.hdd/DiskDescriptor.xml",
            "  jvz ploop check -f root.hdd/DiskDescriptor.xml",
            "  jvz ploop import -b 2048 disk.raw root.hdd",
            "  jvz ploop export root.hdd disk.raw"
        })
public final class PloopCommand extends GroupCommand {
    /** Its subcommands in the order its help lists them; registered by {@code CommandTree}. */
    public static final List<Class<?>> SUBCOMMANDS = List.of(InitCommand.class, InfoCommand.class, CheckCommand.class,
            ImportCommand.class,
            ExportCommand.class, SnapshotCommand.class, SnapshotListCommand.class, SnapshotMergeCommand.class,
            SnapshotDeleteCommand.class, SnapshotSwitchCommand.class, GrowCommand.class,
            MountCommand.class, UmountCommand.class, ListCommand.class, ServeCommand.class, CopyCommand.class);
}
