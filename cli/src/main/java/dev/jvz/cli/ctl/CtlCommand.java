package dev.jvz.cli.ctl;

import dev.jvz.cli.GroupCommand;
import java.util.List;
import picocli.CommandLine.Command;

/**
 * {@code jvz ctl}: containers as vzctl manages them. Alone it prints its usage.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "ctl",
        description = {
            "Create, run and change containers, as vzctl did on OpenVZ, on a stock kernel.",
            "",
            "A container is a ploop disk holding its root file system (PRIVATE/CTID/root.hdd, mounted at "
                    + "ROOT/CTID by the jvz node), a config file CONF_DIR/CTID.conf in vzctl's KEY=\"value\" "
                    + "form, and while it runs, processes run by runc in their own namespaces and cgroups "
                    + "(/sys/fs/cgroup/CONTROLLER/jvz/CTID). Host-wide settings and paths are in "
                    + "/etc/jvz/jvz.conf ($JVZ_CONF overrides the file; a missing file means the defaults: "
                    + "/var/lib/jvz/{root,private,template}, /etc/jvz/conf). Every command takes the "
                    + "container's lock, so two commands never act on one container at once, and undoes "
                    + "its partial work when it fails."
        },
        footerHeading = "%nHost settings, /etc/jvz/jvz.conf (KEY=\"value\"; $VEID is the container's ID):%n",
        footer = {
            "  VE_ROOT=\"/var/lib/jvz/root/$VEID\"       where the root file system is mounted",
            "  VE_PRIVATE=\"/var/lib/jvz/private/$VEID\" root.hdd/, bundle/, console.log",
            "  TEMPLATE=\"/var/lib/jvz/template\"        OS templates: cache/NAME.tar.gz",
            "  CONF_DIR=\"/etc/jvz/conf\"                CTID.conf, ve-NAME.conf-sample",
            "  RUNC_ROOT=\"/run/jvz/runc\"               runc --root (apart from other users)",
            "  LOCK_DIR=\"/run/jvz/lock\"                per-container lock files",
            "  NETNS_PREFIX=\"jvz-\"                     netns /run/netns/PREFIX+CTID",
            "  NODE_DIR=\"/var/lib/jvz/node\"            the node (else $JVZ_NODE_DIR)",
            "  CGROUP_PARENT=\"jvz\"                     /sys/fs/cgroup/CTRL/PARENT/CTID",
            "  RUNC=\"runc\"                             the runc binary",
            "  RUNC_TIMEOUT=\"60\"                       seconds any runc call may take",
            "  STOP_TIMEOUT=\"30\"                       seconds from SIGTERM to SIGKILL",
            "  DEF_OSTEMPLATE=\"busybox\"  DISKSPACE=\"2G\"  DEF_RAM=\"512M\"  DEF_SWAP=\"0\"",
            "  DEF_CPUS=\"\"  DEF_CPULIMIT=\"\"            defaults of new containers",
            "",
            "Container settings, CONF_DIR/CTID.conf (create writes it, set --save",
            "changes it keeping comments and other keys):",
            "  HOSTNAME  IP_ADDRESS (space-separated)  NAMESERVER  RAM  SWAP (512M, 1G)",
            "  CPUS  CPULIMIT (percent of one CPU)  DISKSPACE  ONBOOT (yes|no)  OSTEMPLATE",
            "  VE_ROOT, VE_PRIVATE (override the host's)",
            "",
            "Examples:",
            "  jvz ctl create 101 --ostemplate busybox --hostname ct101 --ipadd 10.0.0.101",
            "  jvz ctl start 101",
            "  jvz ctl exec 101 hostname",
            "  jvz ctl set 101 --ram 1G --cpulimit 50 --save",
            "  jvz list -a",
            "  jvz ctl stop 101 && jvz ctl destroy 101"
        })
public final class CtlCommand extends GroupCommand {
    /** Its subcommands in the order its help lists them; registered by {@code CommandTree}. */
    public static final List<Class<?>> SUBCOMMANDS = List.of(CreateCommand.class, StartCommand.class, StopCommand.class, RestartCommand.class,
            StatusCommand.class, MountCommand.class, UmountCommand.class, DestroyCommand.class, ExecCommand.class,
            EnterCommand.class, SuspendCommand.class, ResumeCommand.class, SetCommand.class, SnapshotCommand.class,
            SnapshotListCommand.class, SnapshotSwitchCommand.class, SnapshotDeleteCommand.class);
}
