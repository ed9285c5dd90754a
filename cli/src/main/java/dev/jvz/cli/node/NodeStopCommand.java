package dev.jvz.cli.node;

import dev.jvz.cli.CommonOptions;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code jvz node stop}: stop the node; refused while disks are mounted unless forced. */
@Command(
        name = "stop",
        description = {"Stop the node.", "",
            "Refused while disks are mounted (exit 17): unmount them first, or use --force, which "
                    + "unmounts every disk and then stops."},
        footerHeading = "%nExamples:%n",
        footer = {"  jvz node stop", "  jvz node stop --force"})
final class NodeStopCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @Option(names = {"-f", "--force"}, description = "Unmount every mounted disk, then stop.")
    boolean force;

    @Override
    public Integer call() throws NodeException, InterruptedException {
        NodeClient c = new NodeClient(node.paths());
        if (!NodeClient.answers(node.paths())) {
            if (!common.quiet()) {
                spec.commandLine().getOut().println("jvz node is not running on " + node.paths().dir());
            }
            return 0;
        }
        long pid = c.shutdown(force).get("pid").asLong();
        // The node answers first, then stops: wait for the process so a following start is clean.
        ProcessHandle.of(pid).ifPresent(h -> h.onExit().join());
        if (!common.quiet()) {
            spec.commandLine().getOut().println("jvz node " + pid + " stopped");
        }
        return 0;
    }
}
