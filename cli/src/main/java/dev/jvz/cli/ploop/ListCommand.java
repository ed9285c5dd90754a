package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.Json;
import dev.jvz.cli.node.NodeOptions;
import dev.jvz.node.MountRecord;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jvz ploop list}: mounted disks with device and mount point. */
@Command(
        name = "list",
        description = {"List mounted disks: device, mount point, descriptor.", "",
            "Prints nothing when the node is not running (nothing can be mounted then)."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  a list of {id, descriptor, mount_point, device, attach, socket, read_only}",
            "",
            "Examples:",
            "  jvz ploop list",
            "  jvz ploop list --json | jq -r '.[].mount_point'"
        })
final class ListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws NodeException {
        List<MountRecord> all = NodeClient.answers(node.paths()) ? new NodeClient(node.paths()).list() : List.of();
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, all);
            return 0;
        }
        for (MountRecord r : all) {
            out.printf("%-12s %-30s %s%s%n", r.device(), r.mountPoint() != null ? r.mountPoint() : "-",
                    r.descriptor(), r.readOnly() ? " (ro)" : "");
        }
        return 0;
    }
}
