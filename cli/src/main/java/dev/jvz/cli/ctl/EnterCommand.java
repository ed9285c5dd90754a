package dev.jvz.cli.ctl;

import dev.jvz.cli.CommonOptions;
import dev.jvz.ct.CtException;
import dev.jvz.node.NodeException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jvz ctl enter CTID}: a login shell with a terminal inside the container. */
@Command(
        name = "enter",
        description = {"Open a shell with a terminal inside a running container.", "",
            "Runs bash (or sh where there is no bash) as a login shell in the container's namespaces, "
                    + "with a new pseudo-terminal; leave it with 'exit'. Needs a terminal on stdin."},
        footer = {"", "Examples:", "  jvz ctl enter 101"})
final class EnterCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "CTID", description = "The container's ID.")
    String ctid;

    @Override
    public Integer call() throws CtException, NodeException {
        return Ctl.open().execInteractive(ctid, List.of("/bin/sh", "-c",
                "if [ -x /bin/bash ]; then exec /bin/bash -l; else exec /bin/sh -l; fi"), true);
    }
}
