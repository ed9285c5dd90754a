package dev.jvz.cli.ctl;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.ct.CtException;
import dev.jvz.ct.CtStatus;
import dev.jvz.node.NodeException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz ctl status CTID}: vzctl's one line, "CTID 101 exist mounted running". */
@Command(
        name = "status",
        description = {"Show whether a container exists, is mounted and runs.", "",
            "Prints vzctl's line: CTID 101 exist|deleted mounted|unmounted running|suspended|stopped. "
                    + "Exits 0 whatever the state; a script reads the line or --json."},
        footerHeading = "%nJSON output (--json):%n",
        footer = {"  ctid, exists, mounted, state (running, suspended, stopped), pid (init's host PID, 0 when stopped)",
            "", "Examples:", "  jvz ctl status 101", "  jvz ctl status 101 --json | jq -r .state"})
final class StatusCommand implements Callable<Integer> {
    /** The --json shape, also of every one-container command's output with --json. */
    record Status(String ctid, boolean exists, boolean mounted, String state, int pid) {
        static Status of(CtStatus s) {
            return new Status(s.ctid(), s.exists(), s.mounted(), s.state().word(), s.pid());
        }
    }

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "CTID", description = "The container's ID.")
    String ctid;

    @Override
    public Integer call() throws CtException, NodeException {
        CtStatus s = Ctl.open().status(ctid);
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, Status.of(s));
        } else if (!common.quiet()) {
            out.println(s.line());
            out.flush();
        }
        return ExitCodes.OK;
    }
}
