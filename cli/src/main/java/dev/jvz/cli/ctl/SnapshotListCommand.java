package dev.jvz.cli.ctl;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.ct.CtException;
import dev.jvz.image.SnapshotInfo;
import dev.jvz.node.NodeException;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz ctl snapshot-list CTID}. */
@Command(
        name = "snapshot-list",
        description = {"List the snapshots of a container's disk.", "",
            "One line per snapshot: its UUID, parent UUID, '*' for the current state, and the image file."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {"  [{uuid, parent_uuid, current, file_name, temporary}]", "",
            "Examples:", "  jvz ctl snapshot-list 101"})
final class SnapshotListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "CTID", description = "The container's ID.")
    String ctid;

    @Option(names = {"-H", "--no-header"}, description = "Do not print the header line.")
    boolean noHeader;

    @Override
    public Integer call() throws CtException, NodeException {
        List<SnapshotInfo> list = Ctl.open().snapshots(ctid);
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, list);
            return ExitCodes.OK;
        }
        if (!noHeader) {
            out.printf("%-40s %-40s %s %s%n", "UUID", "PARENT_UUID", "C", "FILE");
        }
        for (SnapshotInfo s : list) {
            out.printf("%-40s %-40s %s %s%n", s.uuid(), s.parentUuid(), s.current() ? "*" : " ", s.fileName());
        }
        out.flush();
        return ExitCodes.OK;
    }
}
