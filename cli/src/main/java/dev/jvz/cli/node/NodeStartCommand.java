package dev.jvz.cli.node;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.Json;
import dev.jvz.node.NodeException;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jvz node start}: start the node in the background unless it runs. */
@Command(
        name = "start",
        description = {"Start the node in the background (nothing happens if it already runs).",
            "", "Its log is node.log in the node directory."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  as 'jvz node status --json'",
            "",
            "Examples:",
            "  jvz node start",
            "  JVZ_NODE_DIR=/srv/node2 jvz node start   # a second local node"
        })
final class NodeStartCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws NodeException {
        var status = node.clientStartingNode().status();
        if (common.json()) {
            Json.print(spec.commandLine().getOut(), status);
        } else if (!common.quiet()) {
            spec.commandLine().getOut().println("jvz node " + status.get("pid").asLong() + " runs on "
                    + status.get("dir").asText());
        }
        return 0;
    }
}
