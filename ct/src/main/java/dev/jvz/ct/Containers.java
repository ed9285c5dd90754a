package dev.jvz.ct;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.image.CheckOptions;
import dev.jvz.image.CheckReport;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageChecker;
import dev.jvz.image.ImageException;
import dev.jvz.image.SnapshotInfo;
import dev.jvz.node.Exec;
import dev.jvz.node.Fs;
import dev.jvz.node.MountRecord;
import dev.jvz.node.MountService;
import dev.jvz.node.Mounts;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Containers as vzctl ran them: each is a CTID.conf, a ploop disk in its private area mounted at
 * VE_ROOT through the jvz node, and (while running) a runc container with its own namespaces and
 * cgroups. Every command takes the container's lock and undoes its partial work when it fails.
 *
 * <p>Thread-safe: per-container work is serialised by {@link CtLock}; the collaborators are thread-safe.
 */
public final class Containers {
    private static final System.Logger LOG = System.getLogger(Containers.class.getName());
    /** How long a command waits for another command on the same container before giving up. */
    static final Duration LOCK_WAIT = Duration.ofSeconds(10);
    /** After SIGKILL, init is gone within moments; this bounds a process stuck in the kernel (D state). */
    static final Duration KILL_WAIT = Duration.ofSeconds(10);
    private static final String HDD = "root.hdd";
    /** A disk's size is rounded up to whole clusters (1 MiB by default): a request this close is no shrink. */
    private static final long ROUNDING = 1L << 20;

    private final GlobalConfig global;
    private final NodeClient node;
    private final Runc runc;
    private final TemplateSource templates;
    private final NetSource net;

    Containers(GlobalConfig global, NodeClient node, Runc runc, TemplateSource templates, NetSource net) {
        this.global = global;
        this.node = node;
        this.runc = runc;
        this.templates = templates;
        this.net = net;
    }

    /**
     * The containers of this host as {@code global} describes them, mounting through {@code node} (which
     * must be running: the CLI starts it first) and running runc as RUNC with RUNC_ROOT.
     */
    public static Containers open(GlobalConfig global, NodeClient node) throws ConfigException {
        return new Containers(global, node, new RuncCli(global.runcBinary(), global.runcRoot(), global.runcTimeout()),
                TemplateSource.of(new Templates(global.templateDir())), NetSource.routed(new CtNetwork(global.netnsPrefix())));
    }

    public GlobalConfig global() {
        return global;
    }

    // ---------------------------------------------------------------- paths

    static Path hddDir(CtConfig c) {
        return c.vePrivate().resolve(HDD);
    }

    static Path descriptor(CtConfig c) {
        return hddDir(c).resolve(Disk.DESCRIPTOR_NAME);
    }

    static Path bundle(CtConfig c) {
        return c.vePrivate().resolve("bundle");
    }

    static Path consoleLog(CtConfig c) {
        return c.vePrivate().resolve("console.log");
    }

    private CtLock lock(String ctid, String command) throws CtException {
        CtConfig.checkCtid(ctid);
        return CtLock.acquire(global.lockDir(), ctid, command, LOCK_WAIT);
    }

    // ---------------------------------------------------------------- create / destroy

    /**
     * Creates a container: its disk (ext4) in PRIVATE/CTID/root.hdd, the template unpacked into it, and
     * CTID.conf. On any failure everything created is removed again.
     */
    public CtConfig create(CreateRequest req) throws CtException {
        String ctid = CtConfig.checkCtid(req.ctid());
        try (CtLock l = lock(ctid, "jvz ctl create")) {
            Path conf = global.ctConf(ctid);
            if (Files.exists(conf)) {
                throw new CtStateException(CtStateException.State.EXISTS, "container " + ctid + " already exists ("
                        + conf + "); pick another ID or destroy it first with 'jvz ctl destroy " + ctid + "'");
            }
            String template = req.ostemplate() != null ? req.ostemplate() : global.defaultOsTemplate();
            templates.require(template);
            ShellConfig sc = sample(req.configSample(), conf);
            long disk = req.diskspace() != null ? req.diskspace() : global.defaultDiskspace();
            if (disk < (16L << 20)) {
                throw new ConfigException("a container's disk must be at least 16M (asked for " + ByteSize.human(disk)
                        + "): ext4 and a template need room");
            }
            sc.set("OSTEMPLATE", template);
            sc.set("DISKSPACE", ByteSize.format(disk));
            if (req.hostname() != null) {
                sc.set("HOSTNAME", CtConfig.hostname(req.hostname(), "--hostname"));
            }
            if (!req.ipAddresses().isEmpty()) {
                sc.set("IP_ADDRESS", CtConfig.joinAddresses(req.ipAddresses()));
            }
            if (sc.get("RAM") == null) {
                sc.set("RAM", ByteSize.format(global.defaultRam()));
            }
            CtConfig c = CtConfig.from(global, ctid, sc);
            if (Files.exists(c.vePrivate())) {
                throw new CtStateException(CtStateException.State.EXISTS, "the private area " + c.vePrivate()
                        + " of container " + ctid + " exists already (a leftover?); move it away or remove it");
            }
            boolean rootExisted = Files.exists(c.veRoot());
            boolean mounted = false;
            try {
                Files.createDirectories(hddDir(c));
                Files.createDirectories(c.veRoot());
                try (Disk d = Disk.init(hddDir(c).resolve(HDD), CreateOptions.of(disk))) {
                    LOG.log(System.Logger.Level.DEBUG, "created {0}", d.descriptorPath());
                }
                MountService.withDevice(descriptor(c), Fs::mkfsExt4);
                node.mount(descriptor(c), c.veRoot(), false);
                mounted = true;
                templates.unpack(template, c.veRoot());
                umountDisk(c);
                mounted = false;
                sc.write();
                return c;
            } catch (CtException | IOException | ImageException | NodeException | RuntimeException e) {
                undoCreate(c, conf, mounted, rootExisted, e);
                if (e instanceof CtException ce) {
                    throw ce;
                }
                throw new CtException("cannot create container " + ctid + ": " + e.getMessage()
                        + "; nothing was kept, fix the cause and run create again", e);
            }
        }
    }

    private ShellConfig sample(String name, Path conf) throws CtException {
        if (name == null) {
            return ShellConfig.empty(conf);
        }
        Path f = global.confDir().resolve("ve-" + name + ".conf-sample");
        try {
            ShellConfig s = ShellConfig.read(f);
            return ShellConfig.parse(conf, s.render());
        } catch (NoSuchFileException e) {
            throw new ConfigException("there is no configuration sample '" + name + "' (" + f + ")");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    private void undoCreate(CtConfig c, Path conf, boolean mounted, boolean rootExisted, Exception primary) {
        try {
            if (mounted) {
                umountDisk(c);
            }
            deleteTree(c.vePrivate());
            if (!rootExisted && Files.isDirectory(c.veRoot()) && !Mounts.isMountPoint(c.veRoot())) {
                deleteTree(c.veRoot());
            }
            Files.deleteIfExists(conf);
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }

    /**
     * Removes a stopped container: unmounts it, removes its disk, private area, mount point and
     * CTID.conf, and any runc state or network namespace a crash left.
     */
    public void destroy(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl destroy")) {
            CtConfig c = CtConfig.load(global, ctid);
            Optional<RuncState> s = runc.state(ctid);
            if (s.isPresent() && isAlive(s.get())) {
                throw new CtStateException(CtStateException.State.RUNNING, "container " + ctid + " is "
                        + word(s.get()) + "; stop it first with 'jvz ctl stop " + ctid + "'");
            }
            if (s.isPresent()) {
                runc.delete(ctid, true);
            }
            net.tearDown(ctid);
            if (isMounted(c)) {
                umountDisk(c);
            }
            try {
                deleteTree(c.vePrivate());
                if (Files.isDirectory(c.veRoot()) && !Mounts.isMountPoint(c.veRoot())) {
                    deleteTree(c.veRoot());
                }
                Files.deleteIfExists(global.ctConf(ctid));
            } catch (IOException e) {
                throw new CtException("cannot remove the files of container " + ctid + ": " + e.getMessage(), e);
            }
        }
    }

    // ---------------------------------------------------------------- mount / umount

    public MountRecord mount(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl mount")) {
            CtConfig c = CtConfig.load(global, ctid);
            if (isMounted(c)) {
                throw new CtStateException(CtStateException.State.MOUNTED, "container " + ctid + " is already mounted at "
                        + c.veRoot());
            }
            return mountDisk(c);
        }
    }

    public void umount(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl umount")) {
            CtConfig c = CtConfig.load(global, ctid);
            Optional<RuncState> s = runc.state(ctid);
            if (s.isPresent() && isAlive(s.get())) {
                throw new CtStateException(CtStateException.State.RUNNING, "container " + ctid + " is " + word(s.get())
                        + "; stop it first with 'jvz ctl stop " + ctid + "' (that unmounts it too)");
            }
            if (!isMounted(c)) {
                throw new CtStateException(CtStateException.State.NOT_MOUNTED, "container " + ctid + " is not mounted");
            }
            umountDisk(c);
        }
    }

    /**
     * Mounts the disk at VE_ROOT. A top delta left marked in use by a crash (its lock is free, so nothing
     * has it open) is checked and repaired as ploop mount does, and the mount retried once.
     */
    private MountRecord mountDisk(CtConfig c) throws CtException {
        try {
            Files.createDirectories(c.veRoot());
        } catch (IOException e) {
            throw new CtException("cannot create the mount point " + c.veRoot() + ": " + e.getMessage(), e);
        }
        if (!Files.exists(descriptor(c))) {
            throw new CtException("container " + c.ctid() + " has no disk (" + descriptor(c) + " is missing); "
                    + "restore the private area or destroy the container");
        }
        try {
            return node.mount(descriptor(c), c.veRoot(), false);
        } catch (NodeException e) {
            if (e.kind() != NodeException.Kind.IN_USE) {
                throw nodeFailure("cannot mount the disk of container " + c.ctid(), e);
            }
            // The node's answer carries no cause over the wire: the top delta is the one left in use
            // (lower deltas are opened read-only and never marked). Opening the disk takes its lock, so a
            // live user elsewhere would show up as "locked" here instead of being "repaired" under its feet.
            Path delta = null;
            try {
                try (Disk d = Disk.open(descriptor(c))) {
                    delta = d.fileOf(d.descriptor().topGuid());
                }
                CheckReport rep = ImageChecker.check(delta, CheckOptions.afterCrash());
                LOG.log(System.Logger.Level.WARNING, "{0} was left in use; checked: {1}", delta, rep.severity());
                return node.mount(descriptor(c), c.veRoot(), false);
            } catch (NodeException | IOException | ImageException again) {
                if (again != e) {
                    again.addSuppressed(e);
                }
                throw new CtException("the disk of container " + c.ctid() + " was left in use (a crash?) and could "
                        + "not be repaired automatically (" + again.getMessage() + "); if nothing else uses it, run "
                        + "'jvz ploop check -f " + (delta != null ? delta : descriptor(c)) + "' and start again", again);
            }
        }
    }

    private void umountDisk(CtConfig c) throws CtException {
        // Processes killed a moment ago may still hold the file system for a few milliseconds.
        NodeException last = null;
        for (int i = 0; i < 20; i++) {
            try {
                node.umount(descriptor(c));
                return;
            } catch (NodeException e) {
                if (e.kind() == NodeException.Kind.NOT_FOUND) {
                    return;
                }
                last = e;
                sleep(100);
            }
        }
        throw nodeFailure("cannot unmount container " + c.ctid(), last);
    }

    private boolean isMounted(CtConfig c) throws CtException {
        try {
            Path d = descriptor(c).toAbsolutePath().normalize();
            for (MountRecord r : node.list()) {
                if (r.descriptor().equals(d)) {
                    return true;
                }
            }
            return false;
        } catch (NodeException e) {
            throw nodeFailure("cannot ask the jvz node what is mounted", e);
        }
    }

    private static CtException nodeFailure(String what, NodeException e) {
        return new CtException(what + ": " + e.getMessage(), e);
    }

    // ---------------------------------------------------------------- start / stop

    /**
     * Starts a container: mounts its disk (if needed), writes /etc/hostname and /etc/resolv.conf, sets up
     * its network namespace, writes the OCI bundle and runs init under runc. On failure everything it
     * did is undone.
     */
    public void start(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl start")) {
            startLocked(CtConfig.load(global, ctid));
        }
    }

    private void startLocked(CtConfig c) throws CtException {
        String ctid = c.ctid();
        Optional<RuncState> s = runc.state(ctid);
        if (s.isPresent()) {
            if (isAlive(s.get())) {
                throw new CtStateException(CtStateException.State.RUNNING, "container " + ctid + " is already "
                        + word(s.get()));
            }
            runc.delete(ctid, true); // a stopped or half-created leftover of a crash
        }
        boolean mountedHere = false;
        boolean netUp = false;
        try {
            if (!isMounted(c)) {
                mountDisk(c);
                mountedHere = true;
            }
            List<String> init = BootContract.of(c.veRoot()).command();
            Path initPath = c.veRoot().resolve(init.getFirst().replaceFirst("^/+", ""));
            if (!Files.exists(initPath, LinkOption.NOFOLLOW_LINKS)) {
                throw new CtException("container " + ctid + " has no " + init.getFirst() + " (its init) in "
                        + c.veRoot() + "; the template '" + c.ostemplate() + "' or the disk is damaged");
            }
            writeEtc(c);
            net.tearDown(ctid); // a namespace left by a crash of an earlier start or stop; none when clean
            Path netns = net.setUp(ctid, c.ipAddresses());
            netUp = true;
            Path b = bundle(c);
            Files.createDirectories(b);
            ShellConfig.writeAtomically(b.resolve("config.json"), RuncCli.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(OciSpec.build(c, init, netns, global.cgroupParent())));
            runc.run(ctid, b, consoleLog(c));
            Optional<RuncState> now = runc.state(ctid);
            if (now.isEmpty() || now.get().status() != RuncState.Status.RUNNING) {
                throw new RuncException("container " + ctid + "'s init exited right after it started ("
                        + now.map(RuncState::rawStatus).orElse("gone") + "); its output: "
                        + RuncCli.tail(consoleLog(c), 0));
            }
        } catch (CtException | IOException | RuntimeException e) {
            undoStart(c, mountedHere, netUp, e);
            if (e instanceof CtException ce) {
                throw ce;
            }
            throw new CtException("cannot start container " + ctid + ": " + e.getMessage(), e);
        }
    }

    private void undoStart(CtConfig c, boolean mountedHere, boolean netUp, Exception primary) {
        try {
            if (runc.state(c.ctid()).isPresent()) {
                runc.delete(c.ctid(), true);
            }
        } catch (CtException e) {
            primary.addSuppressed(e);
        }
        if (netUp) {
            try {
                net.tearDown(c.ctid());
            } catch (CtException e) {
                primary.addSuppressed(e);
            }
        }
        if (mountedHere) {
            try {
                umountDisk(c);
            } catch (CtException e) {
                primary.addSuppressed(e);
            }
        }
    }

    /**
     * What a stop did.
     *
     * @param killed init did not exit on SIGTERM within STOP_TIMEOUT and was killed
     * @param message a warning to show, or null
     */
    public record StopResult(boolean killed, String message) {}

    /**
     * Stops a container: the template's stop signal (SIGTERM) to init and up to STOP_TIMEOUT for it to exit (SIGKILL to everything
     * right away with {@code fast}, or after the timeout), then removes the runc state, the network
     * namespace, and unmounts the disk. A suspended container is resumed first, since frozen processes
     * cannot handle a signal.
     */
    public StopResult stop(String ctid, boolean fast) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl stop")) {
            return stopLocked(CtConfig.load(global, ctid), fast);
        }
    }

    private StopResult stopLocked(CtConfig c, boolean fast) throws CtException {
        String ctid = c.ctid();
        Optional<RuncState> s = runc.state(ctid);
        if (s.isEmpty() || !isAlive(s.get())) {
            if (s.isPresent()) {
                runc.delete(ctid, true);
            }
            net.tearDown(ctid);
            throw new CtStateException(CtStateException.State.NOT_RUNNING, "container " + ctid + " is not running");
        }
        if (s.get().status() == RuncState.Status.PAUSED) {
            runc.resume(ctid);
        }
        StopResult result = new StopResult(false, null);
        boolean stopped = false;
        if (!fast) {
            signal(ctid, BootContract.of(c.veRoot()).stopSignal(), false);
            stopped = awaitStopped(ctid, global.stopTimeout());
        }
        if (!stopped) {
            signal(ctid, "KILL", true);
            if (!awaitStopped(ctid, KILL_WAIT)) {
                throw new CtException("container " + ctid + " did not stop even after SIGKILL (a process stuck in "
                        + "the kernel?); see 'ps' for its processes and try 'jvz ctl stop " + ctid + " --fast' again");
            }
            if (!fast) {
                result = new StopResult(true, "container " + ctid + "'s init did not exit within "
                        + global.stopTimeout().toSeconds() + " s of SIGTERM; killed it (raise STOP_TIMEOUT in "
                        + global.file() + " if it needs longer)");
            }
        }
        runc.delete(ctid, true);
        net.tearDown(ctid);
        umountDisk(c);
        return result;
    }

    private void signal(String ctid, String sig, boolean all) throws CtException {
        try {
            runc.kill(ctid, sig, all);
        } catch (RuncException e) {
            // It may have exited between the state call and the kill: only a live container is a failure.
            Optional<RuncState> s = runc.state(ctid);
            if (s.isPresent() && isAlive(s.get())) {
                throw e;
            }
        }
    }

    private boolean awaitStopped(String ctid, Duration limit) throws CtException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            Optional<RuncState> s = runc.state(ctid);
            if (s.isEmpty() || s.get().status() == RuncState.Status.STOPPED) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            sleep(50);
        }
    }

    public void restart(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl restart")) {
            CtConfig c = CtConfig.load(global, ctid);
            Optional<RuncState> s = runc.state(ctid);
            if (s.isPresent() && isAlive(s.get())) {
                stopLocked(c, false);
            }
            startLocked(c);
        }
    }

    // ---------------------------------------------------------------- status / list

    public CtStatus status(String ctid) throws CtException {
        CtConfig.checkCtid(ctid);
        Optional<RuncState> s = runc.state(ctid);
        CtStatus.State st = s.map(Containers::stateOf).orElse(CtStatus.State.STOPPED);
        int pid = st == CtStatus.State.STOPPED ? 0 : s.get().pid();
        CtConfig c;
        try {
            c = CtConfig.load(global, ctid);
        } catch (CtNotFoundException e) {
            return new CtStatus(ctid, false, false, st, pid);
        }
        return new CtStatus(ctid, true, isMounted(c), st, pid);
    }

    private static CtStatus.State stateOf(RuncState s) {
        return switch (s.status()) {
            case RUNNING, CREATED, CREATING -> CtStatus.State.RUNNING;
            case PAUSED -> CtStatus.State.SUSPENDED;
            case STOPPED, UNKNOWN -> CtStatus.State.STOPPED;
        };
    }

    private static boolean isAlive(RuncState s) {
        return stateOf(s) != CtStatus.State.STOPPED;
    }

    private static String word(RuncState s) {
        return stateOf(s).word();
    }

    /** Every container with a CTID.conf (only running and suspended ones unless {@code all}), by ID. */
    public List<CtInfo> list(boolean all) throws CtException {
        List<String> ids = new ArrayList<>();
        Path dir = global.confDir();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.conf")) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    ids.add(n.substring(0, n.length() - ".conf".length()));
                }
            } catch (IOException e) {
                throw new CtException("cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        ids.sort(Comparator.comparing((String id) -> !id.chars().allMatch(Character::isDigit))
                .thenComparing(id -> id.chars().allMatch(Character::isDigit) ? String.format("%20s", id) : id));
        Set<Path> mounted = new LinkedHashSet<>();
        try {
            for (MountRecord r : node.list()) {
                mounted.add(r.descriptor());
            }
        } catch (NodeException e) {
            throw nodeFailure("cannot ask the jvz node what is mounted", e);
        }
        List<CtInfo> out = new ArrayList<>();
        for (String id : ids) {
            try {
                CtConfig.checkCtid(id);
            } catch (ConfigException e) {
                continue; // not a container's file
            }
            CtConfig c;
            try {
                c = CtConfig.load(global, id);
            } catch (ConfigException e) {
                // One broken file must not hide every other container (vzlist warns and goes on).
                LOG.log(System.Logger.Level.WARNING, "skipping container " + id + ": " + e.getMessage());
                continue;
            } catch (CtNotFoundException e) {
                continue; // destroyed while we listed
            }
            Optional<RuncState> s = runc.state(id);
            CtStatus.State st = s.map(Containers::stateOf).orElse(CtStatus.State.STOPPED);
            if (!all && st == CtStatus.State.STOPPED) {
                continue;
            }
            int nproc = 0;
            if (st != CtStatus.State.STOPPED) {
                try {
                    nproc = runc.ps(id).size();
                } catch (RuncException e) {
                    st = runc.state(id).map(Containers::stateOf).orElse(CtStatus.State.STOPPED); // stopped meanwhile
                    if (!all && st == CtStatus.State.STOPPED) {
                        continue;
                    }
                }
            }
            out.add(new CtInfo(id, nproc, st.word(), mounted.contains(descriptor(c).toAbsolutePath().normalize()),
                    c.ipAddresses().stream().map(InetAddress::getHostAddress).toList(), c.hostname(), c.ostemplate(),
                    c.diskspace(), c.ram(), c.swap(), c.cpus(), c.cpulimit(), c.onboot()));
        }
        return out;
    }

    /** The container's configuration as CTID.conf holds it. */
    public CtConfig config(String ctid) throws CtException {
        return CtConfig.load(global, CtConfig.checkCtid(ctid));
    }

    // ---------------------------------------------------------------- exec / suspend

    private RuncState requireRunning(String ctid) throws CtException {
        CtConfig.load(global, ctid);
        Optional<RuncState> s = runc.state(ctid);
        if (s.isEmpty() || !isAlive(s.get())) {
            throw new CtStateException(CtStateException.State.NOT_RUNNING, "container " + ctid
                    + " is not running; start it with 'jvz ctl start " + ctid + "'");
        }
        return s.get();
    }

    private void requireNotSuspended(String ctid, RuncState s) throws CtStateException {
        if (s.status() == RuncState.Status.PAUSED) {
            throw new CtStateException(CtStateException.State.NOT_RUNNING, "container " + ctid
                    + " is suspended; resume it with 'jvz ctl resume " + ctid + "'");
        }
    }

    /**
     * Runs {@code cmd} in the running container, {@code stdin} as its input; returns its exit code and
     * output. {@code timeout} null waits as long as the command runs (a user's command has no natural
     * bound; the CLI offers --timeout).
     */
    public Runc.ExecResult exec(String ctid, List<String> cmd, byte[] stdin, Duration timeout) throws CtException {
        CtConfig.checkCtid(ctid);
        requireNotSuspended(ctid, requireRunning(ctid));
        return runc.exec(ctid, cmd, stdin, timeout);
    }

    /** Runs {@code cmd} with this process's stdio (a terminal with {@code tty}); returns its exit code. */
    public int execInteractive(String ctid, List<String> cmd, boolean tty) throws CtException {
        CtConfig.checkCtid(ctid);
        requireNotSuspended(ctid, requireRunning(ctid));
        return runc.execInteractive(ctid, cmd, tty);
    }

    /** Freezes every process of the container (cgroup freezer): they stop, their memory stays. */
    public void suspend(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl suspend")) {
            RuncState s = requireRunning(ctid);
            if (s.status() == RuncState.Status.PAUSED) {
                throw new CtStateException(CtStateException.State.NOT_RUNNING, "container " + ctid
                        + " is already suspended");
            }
            runc.pause(ctid);
        }
    }

    public void resume(String ctid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl resume")) {
            RuncState s = requireRunning(ctid);
            if (s.status() != RuncState.Status.PAUSED) {
                throw new CtStateException(CtStateException.State.RUNNING, "container " + ctid + " is not suspended");
            }
            runc.resume(ctid);
        }
    }

    // ---------------------------------------------------------------- set

    /**
     * Changes settings: applied to the running container at once (host name, addresses, name servers,
     * memory and CPU limits through runc update), the disk grown (online when mounted), and with
     * {@code save} written to CTID.conf (comments and other keys kept).
     *
     * @return the configuration now in effect and warnings (a file system that could not grow online)
     */
    public SetResult set(String ctid, SetRequest req, boolean save) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl set")) {
            CtConfig old = CtConfig.load(global, ctid);
            Path f = global.ctConf(ctid);
            ShellConfig sc;
            try {
                sc = ShellConfig.read(f);
            } catch (IOException e) {
                throw new ConfigException("cannot read " + f + ": " + e.getMessage(), e);
            }
            if (req.hostname() != null) {
                sc.set("HOSTNAME", CtConfig.hostname(req.hostname(), "--hostname"));
            }
            List<InetAddress> ips = new ArrayList<>(req.ipDelAll() ? List.of() : old.ipAddresses());
            ips.removeAll(req.ipDel());
            for (InetAddress a : req.ipAdd()) {
                if (!ips.contains(a)) {
                    ips.add(a);
                }
            }
            if (!ips.equals(old.ipAddresses())) {
                sc.set("IP_ADDRESS", CtConfig.joinAddresses(ips));
            }
            if (req.nameservers() != null) {
                sc.set("NAMESERVER", String.join(" ", req.nameservers()));
            }
            if (req.ram() != null) {
                sc.set("RAM", ByteSize.format(req.ram()));
            }
            if (req.swap() != null) {
                sc.set("SWAP", ByteSize.format(req.swap()));
            }
            if (req.cpus() != null) {
                sc.set("CPUS", req.cpus() == 0 ? "" : req.cpus().toString());
            }
            if (req.cpulimit() != null) {
                sc.set("CPULIMIT", req.cpulimit() == 0 ? "" : req.cpulimit().toString());
            }
            if (req.diskspace() != null) {
                sc.set("DISKSPACE", ByteSize.format(req.diskspace()));
            }
            if (req.onboot() != null) {
                sc.set("ONBOOT", req.onboot() ? "yes" : "no");
            }
            CtConfig now = CtConfig.from(global, ctid, sc); // validates every value before anything changes
            List<String> warnings = new ArrayList<>();
            if (req.diskspace() != null) {
                growDisk(now, req.diskspace(), warnings);
            }
            Optional<RuncState> s = runc.state(ctid);
            if (s.isPresent() && isAlive(s.get())) {
                applyLive(old, now, req, s.get());
            } else if (isMounted(now)) {
                writeEtcQuietly(now);
            }
            if (save || req.diskspace() != null) {
                // A grown disk stays grown: its DISKSPACE is saved even without --save.
                if (!save) {
                    try {
                        sc = ShellConfig.read(f);
                        sc.set("DISKSPACE", ByteSize.format(req.diskspace()));
                    } catch (IOException e) {
                        throw new ConfigException("cannot read " + f + ": " + e.getMessage(), e);
                    }
                }
                try {
                    sc.write();
                } catch (IOException e) {
                    throw new ConfigException("cannot write " + f + ": " + e.getMessage(), e);
                }
            }
            return new SetResult(now, warnings);
        }
    }

    /**
     * What {@link #set} did.
     *
     * @param config the configuration now in effect
     * @param warnings what could not be applied at once, with when it will be
     */
    public record SetResult(CtConfig config, List<String> warnings) {}

    private void applyLive(CtConfig old, CtConfig now, SetRequest req, RuncState s) throws CtException {
        String ctid = now.ctid();
        if (req.hostname() != null || req.nameservers() != null) {
            writeEtc(now);
        }
        if (req.hostname() != null && !now.hostname().isEmpty()) {
            // The container lacks CAP_SYS_ADMIN to set its own host name: set it from the host, in its UTS namespace.
            try {
                Exec.check(Duration.ofSeconds(10), List.of("nsenter", "-t", Integer.toString(s.pid()), "-u",
                        "hostname", now.hostname()));
            } catch (IOException e) {
                throw new CtException("cannot set the host name of running container " + ctid + ": "
                        + e.getMessage(), e);
            }
        }
        for (InetAddress a : old.ipAddresses()) {
            if (!now.ipAddresses().contains(a)) {
                net.removeAddress(ctid, a);
            }
        }
        for (InetAddress a : now.ipAddresses()) {
            if (!old.ipAddresses().contains(a)) {
                net.addAddress(ctid, a);
            }
        }
        Long mem = null;
        Long memSwap = null;
        if (req.ram() != null || req.swap() != null) {
            mem = now.ram() > 0 ? now.ram() : -1L;
            memSwap = now.ram() > 0 ? now.ram() + now.swap() : -1L;
        }
        Long quota = req.cpulimit() == null ? null : now.cpulimit() > 0 ? OciSpec.cpuQuota(now.cpulimit()) : -1L;
        Long period = quota == null ? null : OciSpec.CPU_PERIOD_US;
        String cpuset = req.cpus() == null ? null
                : OciSpec.cpuset(now.cpus() > 0 ? now.cpus() : Runtime.getRuntime().availableProcessors());
        runc.update(ctid, new Runc.Resources(mem, memSwap, quota, period, cpuset));
    }

    private void growDisk(CtConfig c, long size, List<String> warnings) throws CtException {
        Path d = descriptor(c);
        try {
            long current;
            try (Disk disk = isMounted(c) ? null : Disk.open(d)) {
                if (disk != null) {
                    current = disk.descriptor().diskSizeSectors() * 512;
                    if (size < current - ROUNDING) {
                        throw shrink(c, size, current);
                    }
                    if (size > current) {
                        disk.grow(size);
                    }
                    return;
                }
            }
            current = Disk.readDescriptor(d).diskSizeSectors() * 512;
            if (size < current - ROUNDING) {
                throw shrink(c, size, current);
            }
            if (size > current) {
                JsonNode r = node.live("grow", d, null, size);
                if (r.has("fsResized") && !r.get("fsResized").asBoolean()) {
                    warnings.add("the disk of container " + c.ctid() + " grew to " + ByteSize.human(size)
                            + " but its file system could not grow while mounted (" + r.path("note").asText()
                            + "); it grows at the next start");
                }
            }
        } catch (NodeException e) {
            throw nodeFailure("cannot grow the disk of container " + c.ctid(), e);
        } catch (IOException | ImageException e) {
            throw new CtException("cannot grow the disk of container " + c.ctid() + ": " + e.getMessage(), e);
        }
    }

    private static CtException shrink(CtConfig c, long size, long current) {
        return new ConfigException("the disk of container " + c.ctid() + " is " + ByteSize.human(current)
                + "; jvz can grow a disk but not shrink it (asked for " + ByteSize.human(size) + ")");
    }

    /**
     * Writes /etc/hostname and /etc/resolv.conf into the mounted root, as vzctl does. Never follows a
     * symbolic link the container placed there: its root is the container's, and a link to /etc/shadow
     * must not make the host write the host's file.
     */
    private static void writeEtc(CtConfig c) throws CtException {
        Path etc = c.veRoot().resolve("etc");
        try {
            if (Files.isSymbolicLink(etc)) {
                throw new CtException("/etc of container " + c.ctid() + " is a symbolic link; jvz does not write "
                        + "through it (fix the container's file system)");
            }
            Files.createDirectories(etc);
            if (!c.hostname().isEmpty()) {
                replaceFile(etc.resolve("hostname"), c.hostname() + "\n");
            }
            if (!c.nameservers().isEmpty()) {
                StringBuilder b = new StringBuilder("# written by jvz from NAMESERVER in the container's config\n");
                for (String ns : c.nameservers()) {
                    b.append("nameserver ").append(ns).append('\n');
                }
                replaceFile(etc.resolve("resolv.conf"), b.toString());
            }
        } catch (IOException e) {
            throw new CtException("cannot write /etc of container " + c.ctid() + ": " + e.getMessage(), e);
        }
    }

    private static void writeEtcQuietly(CtConfig c) {
        try {
            writeEtc(c);
        } catch (CtException e) {
            LOG.log(System.Logger.Level.WARNING, e.getMessage());
        }
    }

    private static void replaceFile(Path f, String text) throws IOException {
        if (Files.isSymbolicLink(f) || Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)) {
            deleteTree(f);
        }
        ShellConfig.writeAtomically(f, text.getBytes(StandardCharsets.UTF_8));
    }

    // ---------------------------------------------------------------- snapshots

    /**
     * Takes a disk snapshot. Mounted: through the node, with the file system frozen around it so the
     * snapshot is consistent; unmounted: directly on the disk.
     *
     * @return the snapshot's GUID
     */
    public String snapshot(String ctid, String guid) throws CtException {
        try (CtLock l = lock(ctid, "jvz ctl snapshot")) {
            CtConfig c = CtConfig.load(global, ctid);
            if (isMounted(c)) {
                try {
                    return node.live("snapshot", descriptor(c), guid, null).get("guid").asText();
                } catch (NodeException e) {
                    throw nodeFailure("cannot snapshot container " + ctid, e);
                }
            }
            try (Disk d = Disk.open(descriptor(c))) {
                return d.snapshot(guid);
            } catch (IOException | ImageException e) {
                throw new CtException("cannot snapshot container " + ctid + ": " + e.getMessage(), e);
            }
        }
    }

    /** The disk's snapshots (read from DiskDescriptor.xml, which is consistent whether mounted or not). */
    public List<SnapshotInfo> snapshots(String ctid) throws CtException {
        CtConfig c = CtConfig.load(global, CtConfig.checkCtid(ctid));
        try {
            DiskDescriptor desc = Disk.readDescriptor(descriptor(c));
            List<SnapshotInfo> out = new ArrayList<>();
            for (DiskDescriptor.Snapshot s : desc.snapshots()) {
                out.add(new SnapshotInfo(s.guid(), s.parentGuid(), s.guid().equals(desc.topGuid()),
                        desc.image(s.guid()).file(), s.temporary()));
            }
            return out;
        } catch (IOException | ImageException e) {
            throw new CtException("cannot read the snapshots of container " + ctid + ": " + e.getMessage(), e);
        }
    }

    /**
     * Switches the disk to snapshot {@code guid} (the current state is discarded). A stopped container's
     * mounted disk is unmounted for the switch and mounted again. A running (or suspended) container is
     * stopped, switched and started again, as vzctl does: switching means the disk, and the processes
     * that saw the discarded state, go back together (there is no memory dump to restore). If the
     * switch fails, the disk is unchanged (the switch is crash-safe) and the container is started again.
     *
     * @return true if the container was running and has been stopped and started again
     */
    public boolean switchSnapshot(String ctid, String guid) throws CtException {
        String command = "jvz ctl snapshot-switch";
        try (CtLock l = lock(ctid, command)) {
            CtConfig c = CtConfig.load(global, ctid);
            Optional<RuncState> s = runc.state(ctid);
            if (s.isEmpty() || !isAlive(s.get())) {
                offlineLocked(c, command, d -> d.switchTo(guid));
                return false;
            }
            requireSwitchable(c, guid); // a wrong GUID must not cost a restart
            stopLocked(c, false);
            try {
                offlineLocked(c, command, d -> d.switchTo(guid));
            } catch (CtException e) {
                try {
                    startLocked(c);
                } catch (CtException se) {
                    e.addSuppressed(se);
                }
                throw e;
            }
            try {
                startLocked(c);
            } catch (CtException e) {
                throw new CtException("container " + ctid + " was switched to snapshot " + guid + " but did not start "
                        + "again: " + e.getMessage() + "; fix that and run 'jvz ctl start " + ctid + "'", e);
            }
            return true;
        }
    }

    /** Refuses an unknown snapshot, or the active top, before anything stops. */
    private void requireSwitchable(CtConfig c, String guid) throws CtException {
        try {
            DiskDescriptor desc = Disk.readDescriptor(descriptor(c));
            String g = guid == null ? "" : guid.strip();
            if (desc.snapshot(g) == null) {
                throw new CtException("jvz ctl snapshot-switch of container " + c.ctid() + " failed: no snapshot "
                        + guid + "; list them with 'jvz ctl snapshot-list " + c.ctid() + "'");
            }
            if (g.equalsIgnoreCase(desc.topGuid())) {
                throw new CtException("jvz ctl snapshot-switch of container " + c.ctid() + " failed: " + guid
                        + " is already the active top");
            }
        } catch (IOException | ImageException e) {
            throw new CtException("cannot read the snapshots of container " + c.ctid() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Deletes snapshot {@code guid} (merging it into its child as ploop does). A mounted disk (running
     * container or not) is changed by the node while it stays mounted: deleting the snapshot under the
     * active top merges the top down into it online ({@code Disk.deleteSnapshotLive}). The file system
     * is not frozen: a delete moves data between deltas but changes no content it sees.
     */
    public void deleteSnapshot(String ctid, String guid) throws CtException {
        String command = "jvz ctl snapshot-delete";
        try (CtLock l = lock(ctid, command)) {
            CtConfig c = CtConfig.load(global, ctid);
            if (isMounted(c)) {
                try {
                    node.live("snapshot-delete", descriptor(c), guid, null);
                } catch (NodeException e) {
                    throw nodeFailure(command + " of container " + ctid + " failed", e);
                }
                return;
            }
            offlineLocked(c, command, d -> d.deleteSnapshot(guid));
        }
    }

    @FunctionalInterface
    private interface DiskOp {
        void run(Disk d) throws IOException, ImageException;
    }

    /** Runs {@code op} on the disk of a container that is not running; a mounted disk is unmounted meanwhile. */
    private void offlineLocked(CtConfig c, String command, DiskOp op) throws CtException {
        String ctid = c.ctid();
        Optional<RuncState> s = runc.state(ctid);
        if (s.isPresent() && isAlive(s.get())) {
            throw new CtStateException(CtStateException.State.RUNNING, "container " + ctid + " is "
                    + word(s.get()) + "; " + command.substring("jvz ctl ".length())
                    + " needs it stopped ('jvz ctl stop " + ctid + "')");
        }
        boolean wasMounted = isMounted(c);
        if (wasMounted) {
            umountDisk(c);
        }
        try (Disk d = Disk.open(descriptor(c))) {
            op.run(d);
        } catch (IOException | ImageException e) {
            throw new CtException(command + " of container " + ctid + " failed: " + e.getMessage(), e);
        } finally {
            if (wasMounted) {
                mountDisk(c);
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var walk = Files.walk(p)) { // walk does not follow links: a link is removed, not its target
            for (Path x : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }

    private static void sleep(long ms) throws CtException {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CtException("interrupted", e);
        }
    }
}
