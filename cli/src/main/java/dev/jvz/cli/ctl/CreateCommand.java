package dev.jvz.cli.ctl;

import dev.jvz.ct.Containers;
import dev.jvz.ct.CreateRequest;
import dev.jvz.ct.CtConfig;
import dev.jvz.ct.CtException;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code jvz ctl create CTID --ostemplate NAME ...}. */
@Command(
        name = "create",
        description = {"Create a container from an OS template.", "",
            "Creates its disk PRIVATE/CTID/root.hdd (a ploop image with DiskDescriptor.xml) of --diskspace "
                    + "(default DISKSPACE from jvz.conf), formats it ext4, mounts it, unpacks the template "
                    + "TEMPLATE/cache/NAME.tar.gz into it, unmounts it, and writes CONF_DIR/CTID.conf. If any "
                    + "step fails, everything created is removed, so the same command can be run again.",
            "",
            "The container is stopped afterwards; 'jvz ctl start CTID' runs it."},
        footerHeading = "%nJSON output (--json): the status afterwards: ctid, exists, mounted, state, pid%n",
        footer = {"", "Examples:",
            "  jvz ctl create 101 --ostemplate busybox",
            "  jvz ctl create 102 --ostemplate debian-12 --diskspace 10G --hostname web --ipadd 10.0.0.102",
            "  jvz ctl create 103 --ostemplate busybox --config small   (starts from CONF_DIR/ve-small.conf-sample)"})
final class CreateCommand extends CtCommand {
    @Option(names = "--ostemplate", paramLabel = "NAME", description = "The OS template (default DEF_OSTEMPLATE).")
    String ostemplate;

    @Option(names = "--diskspace", paramLabel = "SIZE", converter = Ctl.SizeArg.class,
            description = "Disk size: 512M, 10G... (default DISKSPACE from jvz.conf).")
    Long diskspace;

    @Option(names = "--hostname", paramLabel = "NAME", description = "The container's host name.")
    String hostname;

    @Option(names = "--ipadd", paramLabel = "IP", converter = Ctl.IpArg.class,
            description = "An IP address for the container; repeat for more.")
    List<InetAddress> ipadd = new ArrayList<>();

    @Option(names = "--config", paramLabel = "NAME",
            description = "Start the config from CONF_DIR/ve-NAME.conf-sample, as vzctl does.")
    String config;

    @Override
    String run(Containers cts) throws CtException {
        CtConfig c = cts.create(new CreateRequest(ctid, ostemplate, diskspace, hostname, ipadd, config));
        return "Container " + ctid + " created from " + c.ostemplate() + " (disk " + c.vePrivate().resolve("root.hdd")
                + ", config " + cts.global().ctConf(ctid) + ")";
    }
}
