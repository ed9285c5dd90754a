package dev.jvz.ct;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.List;

/**
 * The OCI runtime config ({@code config.json}) runc starts a container from, made from its
 * {@link CtConfig}: what {@code runc spec} writes, with these differences, each for a reason:
 * <ul>
 *   <li>the root is the mounted ploop file system, writable (it is the container's own disk);</li>
 *   <li>init runs without a terminal (it is a daemon; {@code jvz ctl enter} makes a terminal per shell);</li>
 *   <li>the capabilities are Docker's default set plus NET_RAW rather than runc spec's three: a system
 *       container runs init, daemons that change user (SETUID/SETGID, CHOWN), and ping (NET_RAW) as
 *       OpenVZ's containers could;</li>
 *   <li>cgroupsPath {@code /PARENT/CTID}, so limits are found at /sys/fs/cgroup/CONTROLLER/PARENT/CTID;</li>
 *   <li>the network namespace is the one jvz prepared (or a fresh one holding only lo).</li>
 * </ul>
 *
 * <p>Stateless.
 */
final class OciSpec {
    /** CFS period: 100 ms, the kernel's default, so CPULIMIT percent maps to quota = percent * 1000 us. */
    static final long CPU_PERIOD_US = 100_000;

    private static final List<String> CAPS = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");

    private OciSpec() {}

    /**
     * @param init the command init runs as (the template's, normally /sbin/init)
     * @param netns the network namespace to join, or null for a new empty one
     * @param cgroupParent CGROUP_PARENT
     */
    static ObjectNode build(CtConfig c, List<String> init, Path netns, String cgroupParent) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("ociVersion", "1.0.2-dev");

        ObjectNode proc = root.putObject("process");
        proc.put("terminal", false);
        ObjectNode user = proc.putObject("user");
        user.put("uid", 0);
        user.put("gid", 0);
        ArrayNode args = proc.putArray("args");
        init.forEach(args::add);
        ArrayNode env = proc.putArray("env");
        env.add("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        env.add("TERM=xterm");
        env.add("container=jvz");
        proc.put("cwd", "/");
        ObjectNode caps = proc.putObject("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            ArrayNode a = caps.putArray(set);
            CAPS.forEach(a::add);
        }
        ArrayNode rl = proc.putArray("rlimits");
        ObjectNode nofile = rl.addObject();
        nofile.put("type", "RLIMIT_NOFILE");
        long hard = hostNofileHard();
        nofile.put("hard", hard);
        nofile.put("soft", Math.min(1024, hard));
        proc.put("noNewPrivileges", false);

        ObjectNode r = root.putObject("root");
        r.put("path", c.veRoot().toString());
        r.put("readonly", false);
        root.put("hostname", c.hostname().isEmpty() ? c.ctid() : c.hostname());

        ArrayNode mounts = root.putArray("mounts");
        mount(mounts, "/proc", "proc", "proc");
        mount(mounts, "/dev", "tmpfs", "tmpfs", "nosuid", "strictatime", "mode=755", "size=65536k");
        mount(mounts, "/dev/pts", "devpts", "devpts", "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                "mode=0620", "gid=5");
        mount(mounts, "/dev/shm", "tmpfs", "shm", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k");
        mount(mounts, "/dev/mqueue", "mqueue", "mqueue", "nosuid", "noexec", "nodev");
        mount(mounts, "/sys", "sysfs", "sysfs", "nosuid", "noexec", "nodev", "ro");
        mount(mounts, "/sys/fs/cgroup", "cgroup", "cgroup", "nosuid", "noexec", "nodev", "relatime", "ro");

        ObjectNode linux = root.putObject("linux");
        linux.put("cgroupsPath", "/" + cgroupParent + "/" + c.ctid());
        ObjectNode res = linux.putObject("resources");
        ObjectNode dev = res.putArray("devices").addObject();
        dev.put("allow", false);
        dev.put("access", "rwm");
        if (c.ram() > 0) {
            ObjectNode mem = res.putObject("memory");
            mem.put("limit", c.ram());
            mem.put("swap", c.ram() + c.swap()); // OCI "swap" is memory+swap, as memory.memsw.limit_in_bytes
        }
        ObjectNode cpu = res.putObject("cpu");
        cpu.put("period", CPU_PERIOD_US);
        if (c.cpulimit() > 0) {
            cpu.put("quota", cpuQuota(c.cpulimit()));
        }
        if (c.cpus() > 0) {
            cpu.put("cpus", cpuset(c.cpus()));
        }
        ArrayNode ns = linux.putArray("namespaces");
        for (String t : List.of("pid", "ipc", "uts", "mount")) {
            ns.addObject().put("type", t);
        }
        ObjectNode net = ns.addObject();
        net.put("type", "network");
        if (netns != null) {
            net.put("path", netns.toString());
        }
        ArrayNode masked = linux.putArray("maskedPaths");
        for (String p : List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi")) {
            masked.add(p);
        }
        ArrayNode ro = linux.putArray("readonlyPaths");
        for (String p : List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")) {
            ro.add(p);
        }
        return root;
    }

    /**
     * The open-files hard limit jvz itself runs with: a container may not get more than its creator has
     * (runc fails with EPERM otherwise), and gets no less, since daemons inside raise their soft limit.
     */
    static long hostNofileHard() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/limits"))) {
                if (line.startsWith("Max open files")) {
                    String[] f = line.substring("Max open files".length()).trim().split("\\s+");
                    return f[1].equals("unlimited") ? 1_048_576 : Long.parseLong(f[1]);
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            // fall through to runc spec's value
        }
        return 1024;
    }

    static long cpuQuota(int cpulimitPercent) {
        return cpulimitPercent * CPU_PERIOD_US / 100;
    }

    /**
     * CPUS=n pins the container to the first n of the host's CPUs (a stock kernel cannot hide CPUs the
     * way OpenVZ's fairsched did, but a cpuset bounds the parallelism the same way).
     */
    static String cpuset(int cpus) {
        int n = Math.min(cpus, Runtime.getRuntime().availableProcessors());
        return n <= 1 ? "0" : "0-" + (n - 1);
    }

    private static void mount(ArrayNode mounts, String dest, String type, String source, String... options) {
        ObjectNode m = mounts.addObject();
        m.put("destination", dest);
        m.put("type", type);
        m.put("source", source);
        if (options.length > 0) {
            ArrayNode o = m.putArray("options");
            for (String s : options) {
                o.add(s);
            }
        }
    }
}
