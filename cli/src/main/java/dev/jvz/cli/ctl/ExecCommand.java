package dev.jvz.cli.ctl;

import dev.jvz.cli.CommonOptions;
import dev.jvz.ct.CtException;
import dev.jvz.node.NodeException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code jvz ctl exec CTID CMD...}: runs a command in the container, exits with its exit code. */
@Command(
        name = "exec",
        modelTransformer = ExecCommand.StopAtCommand.class,
        description = {"Run a command in a running container.", "",
            "The words CMD... are joined with spaces and run by /bin/sh -c inside the container, as vzctl "
                    + "exec does, so pipes and redirections work inside. stdin, stdout and stderr are this "
                    + "terminal's (stdin is passed through). jvz exits with the command's exit code (as "
                    + "vzctl exec2), or with a jvz code (31: not running) when it could not run it."},
        footer = {"", "Examples:", "  jvz ctl exec 101 hostname", "  jvz ctl exec 101 'ps | wc -l'",
            "  echo hello | jvz ctl exec 101 cat > /dev/null"})
final class ExecCommand implements Callable<Integer> {
    /** Everything after CTID belongs to the command, its options too ("exec 101 ls -l"). */
    static final class StopAtCommand implements picocli.CommandLine.IModelTransformer {
        @Override
        public picocli.CommandLine.Model.CommandSpec transform(picocli.CommandLine.Model.CommandSpec spec) {
            spec.parser().stopAtPositional(true);
            return spec;
        }
    }

    @Mixin
    CommonOptions common;

    @Parameters(index = "0", paramLabel = "CTID", description = "The container's ID.")
    String ctid;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments.")
    List<String> command;

    @Override
    public Integer call() throws CtException, NodeException {
        return Ctl.open().execInteractive(ctid, List.of("/bin/sh", "-c", String.join(" ", command)), false);
    }
}
