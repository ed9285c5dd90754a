package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import picocli.CommandLine.Command;

/** {@code jvz ctl start CTID}. */
@Command(
        name = "start",
        description = {"Start a container.", "", "Mount its disk at VE_ROOT (unless mounted), write /etc/hostname and /etc/resolv.conf from its config, set up its network namespace, write the OCI bundle (PRIVATE/CTID/bundle/config.json) and run its init under runc, detached; init's output goes to PRIVATE/CTID/console.log. If any step fails, the steps before it are undone. A disk left marked in use by a crash is checked and repaired first, as ploop mount does."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:", "  jvz ctl start 101"})
final class StartCommand extends CtCommand {
    @Override
    String run(Containers cts) throws CtException {
        cts.start(ctid); return "Container " + ctid + " started";
    }
}
