package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CtException;
import dev.jvz.ct.SetRequest;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code jvz ctl set CTID ... [--save]}. */
@Command(
        name = "set",
        description = {"Change a container's settings, live and (with --save) in its config.", "",
            "A running container gets the change at once: host name (its UTS namespace and /etc/hostname), "
                    + "addresses (its network namespace), name servers (/etc/resolv.conf), memory and CPU "
                    + "limits (runc update: its cgroups). --diskspace grows the disk, and the mounted file "
                    + "system online where the host allows it (else at the next start; a warning says so); "
                    + "disks only grow. --save writes the values into CTID.conf, keeping its comments and "
                    + "other keys; a grown DISKSPACE is always saved. Without --save a stopped container "
                    + "changes nothing but its disk."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:",
            "  jvz ctl set 101 --ram 1G --swap 512M --save",
            "  jvz ctl set 101 --cpus 2 --cpulimit 150 --save      (at most 1.5 CPUs' time, on 2 CPUs)",
            "  jvz ctl set 101 --ipadd 10.0.0.5 --ipdel 10.0.0.4 --save",
            "  jvz ctl set 101 --diskspace 20G"})
final class SetCommand extends CtCommand {
    @Option(names = "--hostname", paramLabel = "NAME", description = "New host name.")
    String hostname;

    @Option(names = "--ipadd", paramLabel = "IP", converter = Ctl.IpArg.class, description = "Add an address; repeatable.")
    List<InetAddress> ipadd = new ArrayList<>();

    @Option(names = "--ipdel", paramLabel = "IP|all", description = "Remove an address, or all; repeatable.")
    List<String> ipdel = new ArrayList<>();

    @Option(names = "--nameserver", paramLabel = "IP", description = "Name server (replaces the old ones); repeatable.")
    List<String> nameservers;

    @Option(names = "--ram", paramLabel = "SIZE", converter = Ctl.SizeArg.class, description = "Memory limit, e.g. 512M.")
    Long ram;

    @Option(names = "--swap", paramLabel = "SIZE", converter = Ctl.SizeArg.class, description = "Swap on top of --ram.")
    Long swap;

    @Option(names = "--cpus", paramLabel = "N", description = "Number of CPUs it may run on (0: all).")
    Integer cpus;

    @Option(names = "--cpulimit", paramLabel = "PERCENT", description = "CPU time, percent of one CPU (0: no limit).")
    Integer cpulimit;

    @Option(names = "--diskspace", paramLabel = "SIZE", converter = Ctl.SizeArg.class, description = "Grow the disk.")
    Long diskspace;

    @Option(names = "--onboot", arity = "1", paramLabel = "yes|no", converter = Ctl.YesNo.class, description = "Start at boot.")
    Boolean onboot;

    @Option(names = "--save", description = "Also write the changes into CTID.conf.")
    boolean save;

    @Override
    String run(Containers cts) throws CtException {
        boolean delAll = ipdel.contains("all");
        List<InetAddress> del = new ArrayList<>();
        for (String s : ipdel) {
            if (!s.equals("all")) {
                del.add(new Ctl.IpArg().convert(s));
            }
        }
        List<String> ns = null;
        if (nameservers != null) {
            ns = new ArrayList<>();
            for (String s : nameservers) {
                ns.add(new Ctl.IpArg().convert(s).getHostAddress());
            }
        }
        SetRequest req = new SetRequest(hostname, ipadd, del, delAll, ns, ram, swap, cpus, cpulimit, diskspace, onboot);
        if (req.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "nothing to set: give at least one option such as --ram");
        }
        Containers.SetResult r = cts.set(ctid, req, save);
        for (String w : r.warnings()) {
            spec.commandLine().getErr().println("jvz ctl set: warning: " + w);
        }
        spec.commandLine().getErr().flush();
        return save ? "Saved parameters for container " + ctid : "Applied parameters to container " + ctid
                + " (not saved; add --save to keep them)";
    }
}
