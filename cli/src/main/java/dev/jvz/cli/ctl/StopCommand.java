package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvz ctl stop CTID [--fast]}. */
@Command(
        name = "stop",
        description = {"Stop a running container.", "",
            "Sends SIGTERM to its init and waits up to STOP_TIMEOUT seconds (jvz.conf, default 30) for it "
                    + "to exit; then SIGKILL to every process, with a warning. --fast sends SIGKILL at once. "
                    + "Then removes runc's state and the network namespace and unmounts the disk. A suspended "
                    + "container is resumed first (frozen processes cannot take a signal)."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl stop 101", "  jvz ctl stop 101 --fast"})
final class StopCommand extends CtCommand {
    @Option(names = "--fast", description = "Kill every process at once instead of asking init to stop.")
    boolean fast;

    @Override
    String run(Containers cts) throws CtException {
        Containers.StopResult r = cts.stop(ctid, fast);
        if (r.message() != null) {
            spec.commandLine().getErr().println("jvz ctl stop: warning: " + r.message());
            spec.commandLine().getErr().flush();
        }
        return "Container " + ctid + " stopped" + (r.killed() ? " (killed)" : "");
    }
}
