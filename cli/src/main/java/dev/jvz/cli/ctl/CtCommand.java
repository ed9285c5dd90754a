package dev.jvz.cli.ctl;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import dev.jvz.node.NodeException;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * What every {@code jvz ctl} command on one container shares: the common options, the CTID argument,
 * opening the host's containers, and printing "what happened" (or, with --json, the container's
 * status afterwards).
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
abstract class CtCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "CTID", description = "The container's ID, e.g. 101.")
    String ctid;

    /** Does the work; returns the line to print (null: nothing). */
    abstract String run(Containers cts) throws CtException;

    @Override
    public Integer call() throws CtException, NodeException {
        Containers cts = Ctl.open();
        String msg = run(cts);
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, StatusCommand.Status.of(cts.status(ctid)));
        } else if (!common.quiet() && msg != null) {
            out.println(msg);
            out.flush();
        }
        return ExitCodes.OK;
    }
}
