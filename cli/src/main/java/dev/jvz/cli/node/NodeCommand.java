package dev.jvz.cli.node;

import dev.jvz.cli.GroupCommand;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code jvz node}: the per-host process that owns mounted disks. Alone it prints its usage.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "node",
        description = {
            "Run and inspect the jvz node, the per-host process that owns mounted disks.",
            "",
            "The node serves every mounted disk over NBD, keeps it attached as a kernel block device "
                    + "(nbd-client where the nbd module exists, else nbdfuse + a loop device) and answers "
                    + "the CLI on a control socket only root can use. 'jvz ploop mount' starts it when "
                    + "needed. After a restart it re-opens what was mounted, checking images left marked "
                    + "in use by a crash."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz node status",
            "  jvz node start --node-dir /srv/node2     # a second local node",
            "  jvz node stop --force                    # unmount everything and stop"
        })
public final class NodeCommand extends GroupCommand {
    /** Its subcommands in the order its help lists them; registered by {@code CommandTree}. */
    public static final List<Class<?>> SUBCOMMANDS = List.of(NodeRunCommand.class, NodeStartCommand.class, NodeStopCommand.class,
            NodeStatusCommand.class);
}
