package dev.jvz.cli.node;

import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import dev.jvz.node.NodePaths;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --node-dir}: which node to talk to. One node per state directory, so a second local node
 * (a second "host") is just another directory.
 *
 * <p>Filled by picocli on the calling thread, once per run; never shared.
 */
public final class NodeOptions {
    @Option(names = "--node-dir", paramLabel = "DIR", description = "State directory of the node "
            + "(default: $JVZ_NODE_DIR, else /var/lib/jvz/node).")
    Path nodeDir;

    public NodePaths paths() {
        return NodePaths.resolve(nodeDir);
    }

    /** A client of a running node; starts the node first (in the background) when it is not running. */
    public NodeClient clientStartingNode() throws NodeException {
        NodeClient c = new NodeClient(paths());
        c.ensureRunning(selfLauncher());
        return c;
    }

    /** The command that runs this very jvz: same java, same class path, same main class. */
    public static List<String> selfLauncher() {
        String java = ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        return List.of(java, "--enable-native-access=ALL-UNNAMED", "-XX:+UseSerialGC", "-cp",
                System.getProperty("java.class.path"), "dev.jvz.cli.Main");
    }
}
