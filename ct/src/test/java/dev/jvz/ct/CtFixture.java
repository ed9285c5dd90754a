package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jvz.node.Exec;
import dev.jvz.node.Fs;
import dev.jvz.node.Mounts;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeDaemon;
import dev.jvz.node.NodeException;
import dev.jvz.node.NodePaths;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Assumptions;

/**
 * A throw-away jvz host for integration tests: a temporary root holding jvz.conf's directories, an
 * in-process node, runc with its own --root and cgroup parent, and unique container IDs per run.
 * {@link #close} removes whatever a failed test left: runc containers, mounts, network namespaces.
 */
final class CtFixture implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();
    /** Distinct per JVM run, so leftovers of a killed run never collide with this one. */
    static final String RUN = Long.toString(ProcessHandle.current().pid() % 100_000);

    final Path root;
    final GlobalConfig global;
    final NodePaths nodePaths;
    final NodeDaemon daemon;
    final NodeClient node;
    final RuncCli runc;
    final Containers cts;
    final Templates templates;
    final String cgroupParent = "jvzt" + RUN;
    final String netnsPrefix = "jvzt" + RUN + "-";

    /** This fixture's routed network (its prefix is unique per run); {@link #close} removes what it left. */
    final CtNetwork network = new CtNetwork(netnsPrefix);

    /** A host whose containers get the routed network when {@code routed}, else a namespace with only lo. */
    CtFixture(Path root, boolean routed, Map<String, String> extra) throws Exception {
        this(root, routed ? null : NetSource.NONE, extra);
    }

    private CtFixture(Path root, NetSource net, Map<String, String> extra) throws Exception {
        requireTool("runc");
        requireTool("ip");
        requireTool("nbdfuse");
        requireTool("mkfs.ext4");
        requireTool("nsenter");
        this.root = root;
        Map<String, String> v = new HashMap<>();
        v.put("VE_ROOT", root.resolve("root/$VEID").toString());
        v.put("VE_PRIVATE", root.resolve("private/$VEID").toString());
        v.put("TEMPLATE", root.resolve("template").toString());
        v.put("CONF_DIR", root.resolve("conf").toString());
        v.put("RUNC_ROOT", root.resolve("runc").toString());
        v.put("LOCK_DIR", root.resolve("lock").toString());
        v.put("NODE_DIR", root.resolve("node").toString());
        v.put("NETNS_PREFIX", netnsPrefix);
        v.put("CGROUP_PARENT", cgroupParent);
        v.put("DISKSPACE", "256M");
        v.put("STOP_TIMEOUT", "10");
        v.putAll(extra);
        global = GlobalConfig.of(root.resolve("jvz.conf"), v);
        nodePaths = new NodePaths(global.nodeDir());
        daemon = new NodeDaemon(nodePaths);
        daemon.start();
        node = new NodeClient(nodePaths);
        runc = new RuncCli("runc", global.runcRoot(), Duration.ofSeconds(30));
        templates = new Templates(global.templateDir());
        templates.createBusybox("busybox"); // the real template store's busybox, as 'jvz template create busybox'
        cts = new Containers(global, node, runc, new StubbornOrReal(TemplateSource.of(templates)),
                net == null ? NetSource.routed(network) : net);
    }

    CtFixture(Path root) throws Exception {
        this(root, false, Map.of());
    }

    static String newCtid() {
        return "9" + RUN + SEQ.incrementAndGet();
    }

    /**
     * The ct module's one "needs this tool" check: skips the test where {@code tool} is not on PATH,
     * but fails it when CI=true, since CI must have every tool (scripts/install-deps.sh).
     */
    static void requireTool(String tool) {
        require(Exec.onPath(tool), tool + " is not installed; scripts/install-deps.sh must install it in CI",
                tool + " is not installed");
    }

    /** The same rule for anything else a test needs from the host: skip locally, fail when CI=true. */
    static void require(boolean present, String ciFailure, String skipReason) {
        if (!present) {
            if ("true".equals(System.getenv("CI"))) {
                fail(ciFailure);
            }
            Assumptions.assumeTrue(false, skipReason);
        }
    }

    /** How long a test's command inside a container may take. */
    static final Duration EXEC_TIMEOUT = Duration.ofSeconds(30);

    /** Runs {@code script} with /bin/sh inside {@code ctid}, asserts it exits 0, returns its stripped stdout. */
    String sh(String ctid, String script) throws CtException {
        Runc.ExecResult r = cts.exec(ctid, List.of("/bin/sh", "-c", script), null, EXEC_TIMEOUT);
        assertThat(r.exitCode()).as("'%s' failed: %s", script, r.stderr()).isZero();
        return r.stdout().strip();
    }

    /** The size in KiB of the file system mounted at / inside the running {@code ctid}, as df shows it. */
    long dfKb(String ctid) throws CtException {
        String[] lines = sh(ctid, "df -k /").split("\n");
        return Long.parseLong(lines[lines.length - 1].trim().split("\\s+")[1]);
    }

    /** Stops {@code ctid} fast (SIGKILL at once), destroys it, then asserts the host holds nothing of it. */
    void killDestroyAndAssertClean(String ctid) throws Exception {
        cts.stop(ctid, true);
        cts.destroy(ctid);
        assertThat(leftovers(ctid)).isEmpty();
    }

    /** The cgroup directories runc made for {@code ctid}, in every v1 hierarchy and the unified one. */
    List<Path> cgroupDirs(String ctid) throws IOException {
        List<Path> out = new ArrayList<>();
        try (var s = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : s.toList()) {
                Path d = h.resolve(cgroupParent).resolve(ctid);
                if (Files.isDirectory(d)) {
                    out.add(d);
                }
            }
        }
        return out;
    }

    /** Everything on the host that would show {@code ctid} was left behind; empty when clean. */
    List<String> leftovers(String ctid) throws IOException {
        List<String> out = new ArrayList<>();
        Path veRoot = global.veRoot(ctid);
        Path priv = global.vePrivate(ctid);
        Path export = nodePaths.exportDir(NodePaths.idOf(priv.resolve("root.hdd").resolve("DiskDescriptor.xml")));
        for (Mounts.Entry e : Mounts.list()) {
            if (e.mountPoint().startsWith(veRoot) || e.mountPoint().startsWith(export) || e.source().contains(priv.toString())) {
                out.add("mount " + e.mountPoint() + " (" + e.fsType() + ")");
            }
        }
        String loops = Exec.run(Duration.ofSeconds(10), List.of("losetup", "-a")).stdout();
        for (String l : loops.split("\n")) {
            if (l.contains(export.toString()) || l.contains(priv.toString())) {
                out.add("loop " + l);
            }
        }
        try {
            for (var r : node.list()) {
                if (r.descriptor().startsWith(priv)) {
                    out.add("node export " + r);
                }
            }
        } catch (NodeException e) {
            out.add("node unreachable: " + e.getMessage());
        }
        if (Files.exists(global.runcRoot().resolve(ctid))) {
            out.add("runc state " + global.runcRoot().resolve(ctid));
        }
        for (Path d : cgroupDirs(ctid)) {
            out.add("cgroup " + d);
        }
        if (Files.exists(Path.of("/run/netns", netnsPrefix + ctid))) {
            out.add("netns " + netnsPrefix + ctid);
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        // Leftovers of a failed test: force-delete runc containers, then unmount everything the node holds.
        try {
            for (RuncState s : runc.list()) {
                try {
                    runc.delete(s.id(), true);
                } catch (RuncException e) {
                    System.err.println("cleanup: " + e.getMessage());
                }
            }
        } catch (RuncException e) {
            System.err.println("cleanup: " + e.getMessage());
        }
        try {
            node.shutdown(true);
        } catch (NodeException e) {
            System.err.println("cleanup: " + e.getMessage());
        }
        daemon.awaitStop();
        for (Mounts.Entry e : Mounts.list()) {
            if (e.mountPoint().startsWith(root)) {
                Fs.umount(e.mountPoint(), true);
            }
        }
        try {
            network.cleanupAll();
        } catch (CtException e) {
            System.err.println("cleanup: " + e.getMessage());
        }
        try (var s = Files.list(Path.of("/run/netns"))) {
            for (Path p : s.toList()) {
                if (p.getFileName().toString().startsWith(netnsPrefix)) {
                    Exec.run(Duration.ofSeconds(10), List.of("ip", "netns", "delete", p.getFileName().toString()));
                }
            }
        } catch (java.nio.file.NoSuchFileException e) {
            // no namespaces at all
        }
        for (String ctrl : List.of("cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "devices", "blkio",
                "systemd", "unified", "net_cls", "perf_event", "hugetlb")) {
            Path p = Path.of("/sys/fs/cgroup", ctrl, cgroupParent);
            if (Files.isDirectory(p)) {
                try (var s = Files.list(p)) {
                    for (Path d : s.filter(Files::isDirectory).toList()) {
                        Files.deleteIfExists(d); // empty cgroup dirs only; a populated one is a real leak
                    }
                } catch (IOException e) {
                    System.err.println("cleanup: " + p + ": " + e.getMessage());
                }
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    System.err.println("cleanup: " + p + ": " + e.getMessage());
                }
            }
        }
    }

    /**
     * The real template store, plus "busybox-stubborn": a minimal busybox root built here whose init
     * ignores SIGTERM (for the stop-timeout test) and has no /etc/jvz-template (the /sbin/init default).
     */
    static final class StubbornOrReal implements TemplateSource {
        static final String STUBBORN = "busybox-stubborn";
        private static final String INIT = """
                #!/bin/sh
                trap 'echo ignoring SIGTERM' TERM
                while true; do sleep 1 & wait $!; done
                """;
        private final TemplateSource real;

        StubbornOrReal(TemplateSource real) {
            this.real = real;
        }

        @Override
        public void require(String name) throws CtException {
            if (!name.equals(STUBBORN)) {
                real.require(name);
            }
        }

        @Override
        public void unpack(String name, Path rootDir) throws CtException {
            if (!name.equals(STUBBORN)) {
                real.unpack(name, rootDir);
                return;
            }
            try {
                for (String d : List.of("bin", "sbin", "etc", "proc", "sys", "dev", "tmp", "run", "root")) {
                    Files.createDirectories(rootDir.resolve(d));
                }
                Files.copy(Path.of("/bin/busybox"), rootDir.resolve("bin/busybox"));
                for (String a : List.of("sh", "sleep", "true")) {
                    Files.createSymbolicLink(rootDir.resolve("bin").resolve(a), Path.of("busybox"));
                }
                Path i = rootDir.resolve("sbin/init");
                Files.writeString(i, INIT);
                Files.setPosixFilePermissions(i, PosixFilePermissions.fromString("rwxr-xr-x"));
            } catch (IOException e) {
                throw new CtException("cannot unpack " + name + ": " + e.getMessage(), e);
            }
        }
    }
}
