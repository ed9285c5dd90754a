package dev.jvz.cli.node;

import dev.jvz.cli.CommonOptions;
import dev.jvz.node.NodeDaemon;
import dev.jvz.node.NodeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jvz node run}: the node in the foreground, until stopped. */
@Command(
        name = "run",
        description = {
            "Run the node in the foreground until 'jvz node stop' or a signal.",
            "",
            "This is what 'jvz node start' launches in the background, and what a service manager "
                    + "(systemd) should run. On SIGTERM the node stops serving but keeps its list of "
                    + "mounts, so the next start re-opens them."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz node run",
            "  jvz node run --node-dir /srv/node2      # a second local node"
        })
final class NodeRunCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws IOException, NodeException, InterruptedException {
        PrintWriter out = spec.commandLine().getOut();
        NodeDaemon d = new NodeDaemon(node.paths());
        for (String line : d.start()) {
            out.println(line);
        }
        out.println("jvz node " + ProcessHandle.current().pid() + " serving on " + node.paths().controlSocket());
        out.flush();
        Thread hook = new Thread(() -> {
            try {
                d.close();
            } catch (IOException e) {
                System.err.println("jvz node: stop failed: " + e.getMessage());
            }
        }, "jvz-node-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        d.awaitStop();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // stopped by a signal: the hook is running
        }
        return 0;
    }
}
