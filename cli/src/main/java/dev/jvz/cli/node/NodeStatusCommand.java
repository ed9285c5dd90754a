package dev.jvz.cli.node;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import dev.jvz.node.MountRecord;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code jvz node status}: whether the node runs and what it serves. */
@Command(
        name = "status",
        description = {"Show whether the node runs and which disks it serves.", "",
            "Exits 0 when the node runs, 69 when it does not."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  running, pid, dir, started, kernel_nbd (true when /dev/nbd0 exists),",
            "  mounts: [{id, descriptor, mount_point, device, attach, socket, read_only}]",
            "",
            "Examples:",
            "  jvz node status",
            "  jvz node status --json | jq .pid"
        })
final class NodeStatusCommand implements Callable<Integer> {
    /** The --json shape (snake_case like every jvz JSON output). */
    record Status(boolean running, long pid, String dir, String started, boolean kernelNbd, List<MountRecord> mounts) {}

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Mixin
    NodeOptions node;

    @Override
    public Integer call() throws NodeException {
        PrintWriter out = spec.commandLine().getOut();
        if (!NodeClient.answers(node.paths())) {
            if (common.json()) {
                out.println("{\"running\": false, \"dir\": " + Json.mapper().valueToTree(node.paths().dir().toString())
                        + "}");
            } else if (!common.quiet()) {
                out.println("jvz node: not running (" + node.paths().dir() + ")");
            }
            return ExitCodes.NODE_UNAVAILABLE;
        }
        JsonNode st = new NodeClient(node.paths()).status();
        if (common.json()) {
            List<MountRecord> mounts = new com.fasterxml.jackson.databind.ObjectMapper().convertValue(st.get("mounts"),
                    new com.fasterxml.jackson.core.type.TypeReference<List<MountRecord>>() {});
            Json.print(out, new Status(true, st.get("pid").asLong(), st.get("dir").asText(),
                    st.get("started").asText(), st.get("kernel_nbd").asBoolean(), mounts));
        } else if (!common.quiet()) {
            out.println("jvz node " + st.get("pid").asLong() + " running since " + st.get("started").asText()
                    + " on " + st.get("dir").asText());
            out.println("attach: " + (st.get("kernel_nbd").asBoolean() ? "nbd-client (/dev/nbdN)"
                    : "nbdfuse + loop device"));
            out.println("mounted disks: " + st.get("mounts").size());
            for (JsonNode m : st.get("mounts")) {
                out.println("  " + m.get("device").asText() + "  " + (m.hasNonNull("mountPoint")
                        ? m.get("mountPoint").asText() : "-") + "  " + m.get("descriptor").asText());
            }
        }
        return 0;
    }
}
