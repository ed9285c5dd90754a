package dev.jvz.node;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.jvz.image.CheckOptions;
import dev.jvz.image.CheckReport;
import dev.jvz.image.Disk;
import dev.jvz.image.ImageChecker;
import dev.jvz.image.Image;
import dev.jvz.image.ImageCorruptedException;
import dev.jvz.image.ImageException;
import dev.jvz.image.ImageInUseException;
import dev.jvz.image.ImageLockedException;
import dev.jvz.nbd.NbdServer;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;

/**
 * What a node does with disks: serve a disk's stack over NBD, attach it as a kernel block device,
 * mount its file system; and undo each layer. Keeps the registry ({@code mounts.json}) so a restarted
 * node re-opens what was mounted.
 *
 * <p>Thread-safe: {@link #lock} serialises every operation that changes what is mounted and guards
 * {@link #mounted}; operations are rare and slow (they run tools), so one lock is simplest and never
 * on a data path.
 */
public final class MountService implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(MountService.class.getName());
    /** NBD export name every node export uses; one export per socket, so it need not be unique. */
    static final String EXPORT_NAME = "jvz";
    /**
     * How large a disk may grow while mounted on the nbdfuse path: its export is advertised this large
     * (nbdfuse fixes its file size at connect time), and the loop device above it is limited to the
     * disk's real size, which a grow raises. 16 TiB is far past a container's disk yet costs nothing: the
     * padding reads as a hole and is never touched through the loop device.
     */
    static final long ONLINE_GROW_CEILING = 16L << 40;

    private final NodePaths paths;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}: id to live mount. */
    private final Map<String, Mounted> mounted = new LinkedHashMap<>();
    /** Guarded by {@link #lock}: mount id to the long operation running on it without the lock. */
    private final Map<String, String> busy = new java.util.HashMap<>();

    /** One disk the node serves: every layer from the open image up to the mounted file system. */
    static final class Mounted {
        final Disk disk;
        final Image image;
        final NbdServer server;
        final Attachment attachment;
        final MountRecord record;
        /** The export's advertised size: the most the disk can grow to while mounted. */
        final long exportSize;

        Mounted(Disk disk, Image image, NbdServer server, Attachment attachment, MountRecord record, long exportSize) {
            this.disk = disk;
            this.image = image;
            this.server = server;
            this.attachment = attachment;
            this.record = record;
            this.exportSize = exportSize;
        }
    }

    public MountService(NodePaths paths) throws IOException {
        this.paths = paths;
        Files.createDirectories(paths.dir());
    }

    /** Set once, before first use, by {@link #withDevice}: this instance serves one CLI command. */
    private boolean privateService;

    /** Currently mounted disks, in mount order. */
    public List<MountRecord> list() {
        lock.lock();
        try {
            return mounted.values().stream().map(m -> m.record).toList();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Serves, attaches and (unless {@code mountPoint} is null) mounts the disk of {@code descriptor}.
     * Every step is undone if a later one fails.
     */
    public MountRecord mount(Path descriptor, Path mountPoint, boolean readOnly) throws NodeException {
        lock.lock();
        try {
            return mountLocked(descriptor, mountPoint, readOnly, true);
        } finally {
            lock.unlock();
        }
    }

    private MountRecord mountLocked(Path descriptor, Path mountPoint, boolean readOnly, boolean persist)
            throws NodeException {
        Path desc = canonicalDescriptor(descriptor);
        String id = NodePaths.idOf(desc);
        if (mounted.containsKey(id)) {
            MountRecord r = mounted.get(id).record;
            throw new NodeException(NodeException.Kind.BUSY, desc + " is already mounted"
                    + (r.mountPoint() != null ? " at " + r.mountPoint() : "") + " (" + r.device()
                    + "); run 'jvz ploop umount' first");
        }
        Path mp = null;
        if (mountPoint != null) {
            mp = mountPoint.toAbsolutePath().normalize();
            if (!Files.isDirectory(mp)) {
                throw new NodeException(NodeException.Kind.INVALID, "mount point " + mp + " is not a directory");
            }
            try {
                if (Mounts.isMountPoint(mp)) {
                    throw new NodeException(NodeException.Kind.BUSY, "something is already mounted at " + mp
                            + "; unmount it or pick another directory");
                }
            } catch (IOException e) {
                throw io("cannot read the mount table", e);
            }
        }
        Path exportDir = paths.exportDir(id);
        Path socket = exportDir.resolve("nbd.sock");
        List<AutoCloseable> undo = new ArrayList<>();
        try {
            Files.createDirectories(exportDir);
            Attacher.cleanFuseDir(exportDir.resolve("fuse"));
            Files.deleteIfExists(socket);
            Disk disk = openDisk(desc);
            undo.add(disk);
            Image image = openImage(disk, !readOnly);
            undo.add(image);
            // Only the nbdfuse path can grow under a mounted file system (see ONLINE_GROW_CEILING).
            long exportSize = readOnly || Attacher.kernelNbdAvailable() ? image.size()
                    : Math.max(image.size(), ONLINE_GROW_CEILING);
            NbdServer server = NbdServer.builder(image).exportName(EXPORT_NAME).readOnly(readOnly)
                    .description(desc.toString()).advertisedSize(exportSize).build();
            undo.add(server);
            server.listenUnix(socket);
            Attachment att = Attacher.attach(socket, EXPORT_NAME, exportDir, readOnly, image.size());
            undo.add(() -> Attacher.detach(att));
            if (mp != null) {
                if (!readOnly) {
                    // A disk grown while unmounted, or while mounted where online resize was denied,
                    // carries a smaller file system: fill the device before mounting.
                    Fs.growExt4ToDevice(att.device());
                }
                Fs.mount(att.device(), mp, readOnly);
            }
            MountRecord rec = new MountRecord(id, desc, mp, att.device(), att.kind().name(), socket, readOnly);
            mounted.put(id, new Mounted(disk, image, server, att, rec, exportSize));
            if (persist) {
                saveRegistry();
            }
            // The node's log records its mounts; a short-lived private service (withDevice, run inside a
            // CLI command) must not print log lines into the command's output.
            LOG.log(privateService ? System.Logger.Level.DEBUG : System.Logger.Level.INFO,
                    "mounted {0} on {1} via {2}", desc, mp, att.device());
            return rec;
        } catch (NodeException e) {
            undoAll(undo, e);
            throw e;
        } catch (ImageInUseException e) {
            undoAll(undo, e);
            throw new NodeException(NodeException.Kind.IN_USE, e.getMessage(), e);
        } catch (ImageLockedException e) {
            undoAll(undo, e);
            throw new NodeException(NodeException.Kind.BUSY, e.getMessage(), e);
        } catch (ImageCorruptedException e) {
            undoAll(undo, e);
            throw new NodeException(NodeException.Kind.CORRUPTED, e.getMessage(), e);
        } catch (ToolException e) {
            undoAll(undo, e);
            throw new NodeException(NodeException.Kind.TOOL, e.getMessage(), e);
        } catch (ImageException e) {
            undoAll(undo, e);
            throw new NodeException(NodeException.Kind.INVALID, e.getMessage(), e);
        } catch (IOException | RuntimeException e) {
            undoAll(undo, e);
            throw io("cannot mount " + desc, e);
        }
    }

    /**
     * Attaches the disk without a file system mount, runs {@code body} with the block device, and
     * detaches again. Used by {@code jvz ploop init -t ext4} to run mkfs.
     */
    public static void withDevice(Path descriptor, DeviceBody body) throws NodeException {
        Path scratch;
        try {
            // A private state directory: this short-lived service must not touch a running node's registry.
            scratch = Files.createTempDirectory("jvz-dev-");
        } catch (IOException e) {
            throw io("cannot create a scratch directory", e);
        }
        try (MountService s = new MountService(new NodePaths(scratch))) {
            s.privateService = true;
            MountRecord r = s.mount(descriptor, null, false);
            try {
                body.run(r.device());
            } finally {
                s.umount(r.descriptor());
            }
        } catch (IOException e) {
            throw io("cannot use " + descriptor, e);
        } finally {
            deleteTree(scratch);
        }
    }

    private static void deleteTree(Path dir) {
        try (var walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "cannot remove " + dir + ": " + e.getMessage());
        }
    }

    /** Work done on an attached block device. */
    @FunctionalInterface
    public interface DeviceBody {
        void run(String device) throws IOException, NodeException;
    }

    /** Unmounts and detaches the disk named by its descriptor or its mount point. */
    public MountRecord umount(Path descriptorOrMountPoint) throws NodeException {
        lock.lock();
        try {
            Mounted m = find(descriptorOrMountPoint);
            requireIdle(m);
            teardown(m, false);
            mounted.remove(m.record.id());
            saveRegistry();
            return m.record;
        } catch (IOException e) {
            throw io("cannot unmount " + descriptorOrMountPoint, e);
        } finally {
            lock.unlock();
        }
    }

    Mounted find(Path descriptorOrMountPoint) throws NodeException {
        Path p = descriptorOrMountPoint.toAbsolutePath().normalize();
        for (Mounted m : mounted.values()) {
            if (p.equals(m.record.mountPoint()) || p.equals(m.record.descriptor())
                    || p.equals(m.record.descriptor().getParent())) {
                return m;
            }
        }
        throw new NodeException(NodeException.Kind.NOT_FOUND, p + " is not mounted by this node (see 'jvz ploop list')");
    }

    /** Runs {@code body} on a mounted disk while holding the service lock (no mount/umount meanwhile). */
    <T> T withMounted(Path descriptorOrMountPoint, MountedBody<T> body) throws NodeException {
        lock.lock();
        try {
            return body.run(find(descriptorOrMountPoint));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Runs {@code body} on a mounted disk WITHOUT holding the service lock (a copy takes hours; status
     * and list must still answer), with the disk marked busy: umount, and every other live op that
     * changes the image, refuse it meanwhile ({@link #requireIdle}).
     *
     * @param what names the operation in the "busy" message, e.g. "a copy"
     */
    <T> T withMountedBusy(Path descriptorOrMountPoint, String what, MountedBody<T> body) throws NodeException {
        Mounted m;
        lock.lock();
        try {
            m = find(descriptorOrMountPoint);
            requireIdle(m);
            busy.put(m.record.id(), what);
        } finally {
            lock.unlock();
        }
        try {
            return body.run(m);
        } finally {
            lock.lock();
            try {
                busy.remove(m.record.id());
            } finally {
                lock.unlock();
            }
        }
    }

    /** Refuses a disk that {@link #withMountedBusy} is working on. Call with the lock held. */
    void requireIdle(Mounted m) throws NodeException {
        String what = busy.get(m.record.id());
        if (what != null) {
            throw new NodeException(NodeException.Kind.BUSY, what + " of " + m.record.descriptor()
                    + " is running; wait for it to finish");
        }
    }

    @FunctionalInterface
    interface MountedBody<T> {
        T run(Mounted m) throws NodeException;
    }

    /** Undoes every layer of one mount: file system, block device, export, image, disk lock. */
    private void teardown(Mounted m, boolean lazy) throws IOException {
        IOException first = null;
        if (m.record.mountPoint() != null) {
            try {
                if (Mounts.isMountPoint(m.record.mountPoint())) {
                    Fs.umount(m.record.mountPoint(), lazy);
                }
            } catch (IOException e) {
                // A busy file system must stay mounted: keep every lower layer so nothing breaks under it.
                throw new ToolException("cannot unmount " + m.record.mountPoint() + ": " + e.getMessage()
                        + "; stop what uses it (see 'fuser -m " + m.record.mountPoint() + "') and try again", e);
            }
        }
        for (AutoCloseable step : List.<AutoCloseable>of(() -> Attacher.detach(m.attachment), m.server, m.image,
                m.disk)) {
            try {
                step.close();
            } catch (Exception e) {
                IOException io = e instanceof IOException x ? x : new IOException(e.getMessage(), e);
                if (first == null) {
                    first = io;
                } else {
                    first.addSuppressed(io);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Re-opens what the registry says was mounted (after a node restart or crash): removes stale layers
     * left by the dead process, then mounts again. Entries that fail are reported and dropped.
     *
     * @return one line per entry: what happened
     */
    public List<String> restore() throws NodeException {
        lock.lock();
        try {
            List<String> out = new ArrayList<>();
            for (MountRecord r : loadRegistry()) {
                try {
                    cleanupStale(r);
                    try {
                        mountLocked(r.descriptor(), r.mountPoint(), r.readOnly(), false);
                    } catch (NodeException e) {
                        if (!(e.getCause() instanceof ImageInUseException inUse)) {
                            throw e;
                        }
                        // The dead node left the top delta marked in use: nothing else can have it open
                        // (its registry entry says this node served it), so repair a crash's damage and retry.
                        CheckReport rep = ImageChecker.check(inUse.path(), CheckOptions.afterCrash());
                        out.add("checked " + inUse.path() + " (left in use): " + rep.severity());
                        mountLocked(r.descriptor(), r.mountPoint(), r.readOnly(), false);
                    }
                    out.add("re-mounted " + r.descriptor() + (r.mountPoint() != null ? " at " + r.mountPoint() : ""));
                } catch (NodeException | IOException | ImageException e) {
                    out.add("could not re-mount " + r.descriptor() + ": " + e.getMessage());
                }
            }
            saveRegistry();
            return out;
        } finally {
            lock.unlock();
        }
    }

    /** Removes what a dead node left of one mount: the file system mount, loop devices, FUSE mount. */
    private void cleanupStale(MountRecord r) throws IOException {
        if (r.mountPoint() != null && Mounts.isMountPoint(r.mountPoint())) {
            Fs.umount(r.mountPoint(), true);
        }
        Attacher.cleanFuseDir(paths.exportDir(r.id()).resolve("fuse"));
        Attacher.detachStaleLoop(r.device());
        Files.deleteIfExists(r.socket());
    }

    private List<MountRecord> loadRegistry() throws NodeException {
        Path reg = paths.registry();
        if (!Files.exists(reg)) {
            return List.of();
        }
        try {
            return NodeProtocol.JSON.readValue(reg.toFile(), new TypeReference<List<MountRecord>>() {});
        } catch (IOException e) {
            throw io(reg + " is unreadable; move it aside to start with nothing mounted", e);
        }
    }

    /** Writes the registry crash-safely: temp file, fsync, atomic rename. */
    private void saveRegistry() throws NodeException {
        Path reg = paths.registry();
        Path tmp = reg.resolveSibling(reg.getFileName() + ".tmp");
        try {
            byte[] json = NodeProtocol.JSON.writerWithDefaultPrettyPrinter()
                    .writeValueAsBytes(mounted.values().stream().map(m -> m.record).toList());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                ch.write(java.nio.ByteBuffer.wrap(json));
                ch.force(true);
            }
            Files.move(tmp, reg, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw io("cannot save " + reg, e);
        }
    }

    private static Path canonicalDescriptor(Path p) throws NodeException {
        Path abs = p.toAbsolutePath().normalize();
        if (Files.isDirectory(abs)) {
            abs = abs.resolve(Disk.DESCRIPTOR_NAME);
        }
        if (!Files.isRegularFile(abs)) {
            throw new NodeException(NodeException.Kind.NOT_FOUND, abs + " does not exist; create a disk with "
                    + "'jvz ploop init -s SIZE DELTA'");
        }
        return abs;
    }

    private static Disk openDisk(Path desc) throws IOException, ImageException {
        return Disk.open(desc);
    }

    private static Image openImage(Disk disk, boolean writable) throws IOException, ImageException {
        return disk.openImage(writable);
    }

    static NodeException io(String what, Exception e) {
        return new NodeException(NodeException.Kind.IO, what + ": " + e.getMessage(), e);
    }

    private static void undoAll(List<AutoCloseable> undo, Exception primary) {
        for (int i = undo.size() - 1; i >= 0; i--) {
            try {
                undo.get(i).close();
            } catch (Exception e) {
                primary.addSuppressed(e);
            }
        }
    }

    /**
     * Stops serving everything this service holds. With {@code unmount}, file systems are unmounted
     * and devices detached (a clean node stop); without, the registry is kept so a restart re-opens.
     */
    public void shutdown(boolean unmount) throws IOException {
        lock.lock();
        try {
            List<Mounted> all = new ArrayList<>(mounted.values());
            all.sort(Comparator.comparing((Mounted m) -> m.record.id()).reversed());
            IOException first = null;
            for (Mounted m : all) {
                try {
                    if (unmount) {
                        teardown(m, false);
                    } else {
                        m.server.close();
                        m.image.close();
                        m.disk.close();
                    }
                    mounted.remove(m.record.id());
                } catch (IOException e) {
                    if (first == null) {
                        first = e;
                    } else {
                        first.addSuppressed(e);
                    }
                }
            }
            if (unmount) {
                try {
                    saveRegistry();
                } catch (NodeException e) {
                    throw new IOException(e.getMessage(), e);
                }
            }
            if (first != null) {
                throw first;
            }
        } finally {
            lock.unlock();
        }
    }

    /** Unmounts everything (used by tests and by {@code withDevice}). */
    @Override
    public void close() throws IOException {
        shutdown(true);
    }
}
