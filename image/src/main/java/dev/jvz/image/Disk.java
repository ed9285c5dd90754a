package dev.jvz.image;

import dev.jvz.image.DiskDescriptor.ImageEntry;
import dev.jvz.image.DiskDescriptor.ImageType;
import dev.jvz.image.DiskDescriptor.Snapshot;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A ploop disk: a directory with {@code DiskDescriptor.xml} and its delta files (PLOOP-FORMAT.md,
 * section 2), held under the disk's lock ({@code DiskDescriptor.xml.lck}) from open to {@link #close()}.
 *
 * <p>Snapshot, merge, delete, switch and grow are offline operations: every image this disk handed
 * out by {@link #openImage} must be closed first (a top still marked in use is refused).
 *
 * <p>Crash safety. Files appear before the descriptor names them and disappear only after it stopped
 * naming them; the descriptor is replaced atomically ({@link DescriptorXml#store}). Merge copies the
 * child's clusters into the parent through the parent's normal allocate/flush path (data durable
 * before its BAT entry), and the descriptor drops the child only after the parent is flushed and
 * closed; until then the child, still above the parent, hides the half-merged parent, so the disk
 * reads the same at every point. A crash can leave an extra file or a leaked cluster, or an image
 * marked in use (readable, and cleaned by {@code jvz ploop check}), never different content.
 *
 * <p>Thread-safety: all methods are synchronized on the instance; the disk lock keeps other
 * processes (and other {@code Disk} instances in this JVM) out.
 */
public final class Disk implements AutoCloseable {
    /** The descriptor's file name, fixed by ploop. */
    public static final String DESCRIPTOR_NAME = "DiskDescriptor.xml";

    private final Path dir;
    private final Path xml;
    private final DiskLock lock;
    /** Guarded by this. */
    private DiskDescriptor desc;
    /** Guarded by this. */
    private StepHook hook = StepHook.NONE;
    /** Guarded by this. */
    private boolean closed;

    private Disk(Path xml, DiskLock lock, DiskDescriptor desc) {
        this.xml = xml;
        this.dir = xml.getParent();
        this.lock = lock;
        this.desc = desc;
    }

    /**
     * Creates a new disk: the delta {@code deltaFile} and {@code DiskDescriptor.xml} beside it
     * ({@code ploop init}). Refuses to overwrite either. The returned disk holds the lock.
     */
    public static Disk init(Path deltaFile, CreateOptions options) throws IOException, ImageException {
        Path delta = deltaFile.toAbsolutePath().normalize();
        Path xml = delta.resolveSibling(DESCRIPTOR_NAME);
        if (!Files.isDirectory(delta.getParent())) {
            throw new NoSuchFileException(delta.getParent().toString(), null,
                    "the directory for the new disk does not exist; create it first");
        }
        Delta.requireAbsent(xml);
        Delta.requireAbsent(delta);
        DiskLock lock = DiskLock.acquire(xml);
        try {
            Delta.requireAbsent(xml);
            Delta.requireAbsent(delta);
            PloopHeader h = options.header();
            // The delta first: a crash then leaves a lone file, never a descriptor naming a missing one.
            Delta.create(delta, h);
            DiskDescriptor d = DiskDescriptor.single(delta.getFileName().toString(), ImageType.COMPRESSED, h);
            DescriptorXml.store(xml, d);
            return new Disk(xml, lock, d);
        } catch (IOException | RuntimeException e) {
            closeQuietly(lock, e);
            throw e;
        }
    }

    /** Opens the disk of {@code descriptorOrDir} (the descriptor file or its directory) and locks it. */
    public static Disk open(Path descriptorOrDir) throws IOException, ImageException {
        Path p = descriptorOrDir.toAbsolutePath().normalize();
        Path xml = Files.isDirectory(p) ? p.resolve(DESCRIPTOR_NAME) : p;
        if (!Files.exists(xml)) {
            throw new NoSuchFileException(xml.toString(), null, "no disk descriptor; create the disk with "
                    + "'jvz ploop init' or name the directory that holds " + DESCRIPTOR_NAME);
        }
        DiskLock lock = DiskLock.acquire(xml);
        try {
            DiskDescriptor d = DescriptorXml.read(xml);
            for (ImageEntry e : d.images()) {
                Path f = xml.getParent().resolve(e.file());
                if (!Files.isRegularFile(f)) {
                    throw new DescriptorException(xml + ": image " + e.guid() + " names file " + e.file()
                            + " which does not exist; restore the file or fix the descriptor");
                }
            }
            return new Disk(xml, lock, d);
        } catch (IOException | ImageException | RuntimeException e) {
            closeQuietly(lock, e);
            throw e;
        }
    }

    /**
     * Reads the descriptor of {@code descriptorOrDir} without taking the disk lock, for read-only
     * listings that must work while the disk is in use (mounted). The descriptor is only ever
     * replaced by an atomic rename, so the reader sees one whole version; the files it names may
     * change afterwards.
     */
    public static DiskDescriptor readDescriptor(Path descriptorOrDir) throws IOException, ImageException {
        Path p = descriptorOrDir.toAbsolutePath().normalize();
        Path xml = Files.isDirectory(p) ? p.resolve(DESCRIPTOR_NAME) : p;
        if (!Files.exists(xml)) {
            throw new NoSuchFileException(xml.toString(), null, "no disk descriptor; create the disk with "
                    + "'jvz ploop init' or name the directory that holds " + DESCRIPTOR_NAME);
        }
        return DescriptorXml.read(xml);
    }

    public Path descriptorPath() {
        return xml;
    }

    public Path directory() {
        return dir;
    }

    public synchronized DiskDescriptor descriptor() {
        return desc;
    }

    /** For tests: called between the durable steps of every operation. */
    synchronized void setStepHook(StepHook h) {
        this.hook = h == null ? StepHook.NONE : h;
    }

    /** The file of an image entry. */
    public Path fileOf(String guid) {
        ImageEntry e = descriptor().image(guid);
        if (e == null) {
            throw new IllegalArgumentException("no image " + guid);
        }
        return dir.resolve(e.file());
    }

    /**
     * Opens the active stack (base .. top) for block I/O; only the top delta is writable, and only if
     * asked. A "Plain" base is read as a raw file. The caller closes the image before any other
     * operation on this disk.
     */
    public synchronized Image openImage(boolean writable) throws IOException, ImageException {
        requireOpen();
        List<Layer> layers = openLayers(writable);
        try {
            return Image.fromLayers(layers, writable);
        } catch (ImageException | RuntimeException e) {
            try {
                Image.closeAll(layers);
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /** Opens the active chain's layers, base first; the top writable if asked. Closes all on failure. */
    private List<Layer> openLayers(boolean writable) throws IOException, ImageException {
        List<ImageEntry> chain = desc.activeChain();
        List<Layer> layers = new ArrayList<>();
        long cb = (long) desc.blocksize() * PloopFormat.SECTOR_SIZE;
        try {
            for (int i = 0; i < chain.size(); i++) {
                ImageEntry e = chain.get(i);
                Path f = dir.resolve(e.file());
                boolean top = i == chain.size() - 1;
                if (i == 0 && e.type() == ImageType.PLAIN) {
                    if (top) {
                        throw new DescriptorException(xml + ": the disk is a single Plain (raw) image; jvz needs "
                                + "a ploop delta on top of it: take a snapshot with ploop first");
                    }
                    layers.add(new RawLayer(f, cb, false));
                } else {
                    layers.add(Delta.open(f, writable && top));
                }
            }
            long clusterSectors = ((Delta) layers.getLast()).header().clusterSectors();
            if (clusterSectors != desc.blocksize()) {
                throw new DescriptorException(xml + ": <Blocksize> is " + desc.blocksize() + " sectors but the images "
                        + "use " + clusterSectors + "; fix the descriptor");
            }
            return layers;
        } catch (IOException | ImageException | RuntimeException e) {
            try {
                Image.closeAll(layers);
            } catch (IOException c) {
                e.addSuppressed(c);
            }
            throw e;
        }
    }

    /** An offline operation run by {@link #whileLive} on closed images. */
    @FunctionalInterface
    private interface OfflineStep<T> {
        T run() throws IOException, ImageException;
    }

    /**
     * Runs {@code step} on a disk whose stack {@code live} (from {@link #openImage}) is being served:
     * pauses I/O, flushes and closes every layer cleanly, runs the offline step, then reopens the
     * chain the descriptor now names and serves from it. If the step fails, the chain is reopened as
     * the descriptor left it (the offline operations keep it consistent at every step) and the failure
     * is thrown after I/O resumes.
     */
    private <T> T whileLive(Image live, OfflineStep<T> step) throws IOException, ImageException {
        List<Object> result = new ArrayList<>(1);
        Exception[] failure = new Exception[1];
        live.reconfigure(current -> {
            if (live.writable()) {
                ((Delta) current.getLast()).flush();
            }
            Image.closeAll(current);
            try {
                result.add(step.run());
            } catch (IOException | ImageException | RuntimeException e) {
                failure[0] = e;
            }
            return openLayers(live.writable());
        });
        if (failure[0] instanceof IOException e) {
            throw e;
        } else if (failure[0] instanceof ImageException e) {
            throw e;
        } else if (failure[0] instanceof RuntimeException e) {
            throw e;
        }
        @SuppressWarnings("unchecked")
        T t = (T) result.getFirst();
        return t;
    }

    /**
     * {@link #snapshot} on a mounted disk: the caller freezes the file system around it so the snapshot
     * is consistent; I/O pauses only for the flush and the switch of the top delta.
     */
    public synchronized String snapshotLive(Image live, String guidOrNull) throws IOException, ImageException {
        requireOpen();
        return whileLive(live, () -> snapshot(guidOrNull));
    }

    /**
     * {@link #merge} of a snapshot below the active top on a mounted disk. The clusters are copied while
     * the disk is served (the child still shadows its parent, so reads do not change meanwhile); I/O
     * pauses only to reopen the shorter chain.
     */
    public synchronized void mergeLive(Image live, String guid) throws IOException, ImageException {
        requireOpen();
        String c = argGuid(guid);
        if (c.equals(desc.topGuid())) {
            throw new ImageException("the active top of a mounted disk cannot be merged while mounted; merge a "
                    + "snapshot below it, or unmount first");
        }
        merge(c);
        whileLive(live, () -> Boolean.TRUE);
    }

    /** {@link #grow} on a served disk: I/O pauses while the top delta's header and BAT grow. */
    public synchronized void growLive(Image live, long newSizeBytes) throws IOException, ImageException {
        requireOpen();
        whileLive(live, () -> {
            grow(newSizeBytes);
            return Boolean.TRUE;
        });
    }

    /** The snapshots in descriptor order ({@code ploop snapshot-list}). */
    public synchronized List<SnapshotInfo> snapshots() {
        List<SnapshotInfo> out = new ArrayList<>();
        for (Snapshot s : desc.snapshots()) {
            out.add(new SnapshotInfo(s.guid(), s.parentGuid(), s.guid().equals(desc.topGuid()),
                    desc.image(s.guid()).file(), s.temporary()));
        }
        return out;
    }

    /**
     * Takes a snapshot ({@code ploop snapshot}): the current top becomes read-only snapshot
     * {@code guidOrNull} (a new random GUID if null) and a new empty top delta, {@code <base>.{GUID}},
     * takes the top GUID.
     *
     * @return the snapshot's GUID
     */
    public synchronized String snapshot(String guidOrNull) throws IOException, ImageException {
        requireOpen();
        String s = guidOrNull == null ? DiskDescriptor.newGuid() : argGuid(guidOrNull);
        if (desc.snapshot(s) != null || s.equals(DiskDescriptor.NONE_GUID)) {
            throw new ImageException("snapshot GUID " + s + " is already used in " + xml + "; choose another");
        }
        String top = desc.topGuid();
        ImageEntry topEntry = desc.image(top);
        // ploop's raw mode: a Plain base alone is the top; the first snapshot puts a delta over it.
        PloopHeader nh = isRawBase(topEntry)
                ? emptyHeader(2, desc.diskSizeSectors(), desc.blocksize())
                : emptyLike(requireClosedDelta(topEntry));
        String newFile = newTopFileName();
        Delta.create(dir.resolve(newFile), nh);
        hook.reached("snapshot: new top delta created");

        List<ImageEntry> images = new ArrayList<>();
        for (ImageEntry e : desc.images()) {
            images.add(e.guid().equals(top) ? e.withGuid(s) : e);
        }
        // ploop writes one Type for the whole disk (its mode), so a new delta repeats the base's type.
        images.add(new ImageEntry(top, desc.image(desc.base().guid()).type(), newFile));
        List<Snapshot> shots = new ArrayList<>();
        for (Snapshot sh : desc.snapshots()) {
            String guid = sh.guid().equals(top) ? s : sh.guid();
            String parent = sh.parentGuid().equals(top) ? s : sh.parentGuid();
            shots.add(new Snapshot(guid, parent, sh.temporary()));
        }
        shots.add(new Snapshot(top, s, false));
        store(desc.withImagesAndSnapshots(images, shots));
        hook.reached("snapshot: descriptor stored");
        return s;
    }

    /** Merges the active top into its parent ({@code ploop snapshot-merge} without a GUID). */
    public synchronized void mergeTop() throws IOException, ImageException {
        requireOpen();
        merge(desc.topGuid());
    }

    /**
     * Merges image {@code guid} down into its parent ({@code ploop snapshot-merge -u GUID}): the
     * child's clusters are copied into the parent's file, the parent takes the child's GUID, the
     * child's file is removed. Refused for the base, and when the parent has other children (they
     * would see the child's data).
     */
    public synchronized void merge(String guid) throws IOException, ImageException {
        requireOpen();
        String c = argGuid(guid);
        Snapshot child = requireSnapshot(c);
        if (child.isBase()) {
            throw new ImageException(c + " is the base image of " + xml + "; it has no parent to merge into");
        }
        Snapshot parent = desc.snapshot(child.parentGuid());
        List<Snapshot> siblings = desc.children(parent.guid());
        if (siblings.size() > 1) {
            throw new ImageException("cannot merge " + c + " into " + parent.guid() + ": the parent has "
                    + siblings.size() + " children, which would all see the merged data; delete or merge the others first");
        }
        ImageEntry childEntry = desc.image(c);
        ImageEntry parentEntry = desc.image(parent.guid());
        Path childFile = dir.resolve(childEntry.file());
        Path parentFile = dir.resolve(parentEntry.file());
        copyDown(childFile, parentFile, parentEntry.type() == ImageType.PLAIN && parent.isBase());

        List<ImageEntry> images = new ArrayList<>();
        for (ImageEntry e : desc.images()) {
            if (e.guid().equals(parent.guid())) {
                images.add(e.withGuid(c));
            } else if (!e.guid().equals(c)) {
                images.add(e);
            }
        }
        List<Snapshot> shots = new ArrayList<>();
        for (Snapshot s : desc.snapshots()) {
            if (s.guid().equals(parent.guid())) {
                shots.add(new Snapshot(c, parent.parentGuid(), child.temporary()));
            } else if (!s.guid().equals(c)) {
                shots.add(s);
            }
        }
        store(desc.withImagesAndSnapshots(images, shots));
        hook.reached("merge: descriptor stored");
        Files.delete(childFile);
        Delta.fsyncDirectory(childFile);
        hook.reached("merge: child file removed");
    }

    /** Copies every cluster the child maps into the parent, growing the parent first if it is smaller. */
    private void copyDown(Path childFile, Path parentFile, boolean parentRaw) throws IOException, ImageException {
        try (Delta child = Delta.open(childFile, false)) {
            PloopHeader ch = child.header();
            if (ch.isInUse()) {
                throw new ImageInUseException(childFile);
            }
            long cb = child.clusterBytes();
            ByteBuffer buf = ByteBuffer.allocate((int) cb);
            if (parentRaw) {
                try (RawLayer p = new RawLayer(parentFile, cb, true)) {
                    for (long v = 0; v < child.batEntries(); v++) {
                        long off = child.lookup(v);
                        if (off >= 0) {
                            buf.clear();
                            child.readAt(off, buf);
                            buf.flip();
                            p.writeAt(v * cb, buf);
                            hook.reached("merge: cluster copied");
                        }
                    }
                    p.flush();
                }
                hook.reached("merge: parent flushed");
                return;
            }
            PloopHeader ph = requireClosedDelta(parentFile);
            if (ph.clusterSectors() != ch.clusterSectors() || ph.version() != ch.version()) {
                throw new ImageCorruptedException(childFile + " and " + parentFile + " differ in cluster size or "
                        + "format version; they cannot belong to one disk");
            }
            if (ph.sizeInSectors() < ch.sizeInSectors()) {
                DeltaGrow.grow(parentFile, ch.sizeInSectors(), hook);
                hook.reached("merge: parent grown");
            }
            try (Delta p = Delta.open(parentFile, true)) {
                for (long v = 0; v < child.batEntries(); v++) {
                    long off = child.lookup(v);
                    if (off < 0) {
                        continue;
                    }
                    buf.clear();
                    child.readAt(off, buf);
                    buf.flip();
                    long po = p.lookup(v);
                    if (po >= 0) {
                        // In place: the child still covers this cluster until the descriptor drops it.
                        p.writeAt(po, buf);
                    } else {
                        p.allocate(v, buf, null, 0);
                    }
                    hook.reached("merge: cluster copied");
                }
                p.flush();
                hook.reached("merge: parent flushed");
            }
            hook.reached("merge: parent closed");
        }
    }

    /**
     * Deletes snapshot {@code guid} ({@code ploop snapshot-delete}): with no child it is dropped (never
     * the base or the active top); with one child, that child is merged down into it; with several,
     * it is only marked Temporary. Then every Temporary snapshot left with at most one child is
     * deleted the same way (as ploop does).
     */
    public synchronized void deleteSnapshot(String guid) throws IOException, ImageException {
        requireOpen();
        deleteOne(argGuid(guid));
        collapseTemporaries();
    }

    /**
     * Deletes, for real, every Temporary snapshot that no longer has several children (ploop's
     * merge_temporary_snapshots after delete and switch). Each deletion is one crash-safe operation.
     */
    private void collapseTemporaries() throws IOException, ImageException {
        boolean again = true;
        while (again) { // each round removes one snapshot, so this ends
            again = false;
            for (Snapshot s : desc.snapshots()) {
                int kids = desc.children(s.guid()).size();
                if (s.temporary() && !s.guid().equals(desc.topGuid()) && kids <= 1 && !(kids == 0 && s.isBase())) {
                    deleteOne(s.guid());
                    again = true;
                    break;
                }
            }
        }
    }

    private void deleteOne(String g) throws IOException, ImageException {
        Snapshot s = requireSnapshot(g);
        if (g.equals(desc.topGuid())) {
            throw new ImageException(g + " is the active top of " + xml + " and cannot be deleted; "
                    + "switch to another snapshot or merge it instead");
        }
        List<Snapshot> kids = desc.children(g);
        switch (kids.size()) {
            case 0 -> {
                if (s.isBase()) {
                    throw new ImageException(g + " is the base image of " + xml + " and cannot be deleted");
                }
                Path f = dir.resolve(desc.image(g).file());
                List<ImageEntry> images = new ArrayList<>(desc.images());
                images.removeIf(e -> e.guid().equals(g));
                List<Snapshot> shots = new ArrayList<>(desc.snapshots());
                shots.removeIf(x -> x.guid().equals(g));
                store(desc.withImagesAndSnapshots(images, shots));
                hook.reached("delete: descriptor stored");
                Files.deleteIfExists(f);
                Delta.fsyncDirectory(f);
            }
            case 1 -> merge(kids.getFirst().guid());
            default -> {
                List<Snapshot> shots = new ArrayList<>();
                for (Snapshot x : desc.snapshots()) {
                    shots.add(x.guid().equals(g) ? new Snapshot(x.guid(), x.parentGuid(), true) : x);
                }
                store(desc.withImagesAndSnapshots(desc.images(), shots));
            }
        }
    }

    /**
     * Switches to snapshot {@code guid} ({@code ploop snapshot-switch}): the current top delta is
     * discarded and a new empty top, child of {@code guid}, takes the top GUID. The disk takes the
     * snapshot's virtual size. A Temporary snapshot left with at most one child is then deleted.
     */
    public synchronized void switchTo(String guid) throws IOException, ImageException {
        requireOpen();
        String g = argGuid(guid);
        Snapshot target = requireSnapshot(g);
        String top = desc.topGuid();
        if (g.equals(top)) {
            throw new ImageException(g + " is already the active top of " + xml);
        }
        if (!desc.children(top).isEmpty()) {
            throw new ImageException("the active top " + top + " has children in " + xml
                    + "; it cannot be discarded");
        }
        ImageEntry topEntry = desc.image(top);
        requireClosedDelta(topEntry);
        ImageEntry targetEntry = desc.image(target.guid());
        PloopHeader nh;
        if (isRawBase(targetEntry)) {
            nh = emptyHeader(versionOf(topEntry), desc.diskSizeSectors(), desc.blocksize());
        } else {
            nh = emptyLike(requireDelta(dir.resolve(targetEntry.file())));
        }
        String newFile = newTopFileName();
        Delta.create(dir.resolve(newFile), nh);
        hook.reached("switch: new top delta created");

        List<ImageEntry> images = new ArrayList<>();
        for (ImageEntry e : desc.images()) {
            if (!e.guid().equals(top)) {
                images.add(e);
            }
        }
        images.add(new ImageEntry(top, topEntry.type(), newFile));
        List<Snapshot> shots = new ArrayList<>();
        for (Snapshot s : desc.snapshots()) {
            if (!s.guid().equals(top)) {
                shots.add(s);
            }
        }
        shots.add(new Snapshot(top, g, false));
        DiskDescriptor nd = desc.withImagesAndSnapshots(images, shots)
                .withDiskSize(nh.sizeInSectors(), Integer.toUnsignedLong(nh.cylinders()));
        store(nd);
        hook.reached("switch: descriptor stored");
        Path old = dir.resolve(topEntry.file());
        Files.deleteIfExists(old);
        Delta.fsyncDirectory(old);
        hook.reached("switch: old top removed");
        collapseTemporaries();
    }

    /**
     * Grows the disk to {@code newSizeBytes}, rounded up to whole clusters ({@code ploop resize}, offline).
     * Only the top delta changes (lower ones keep their size, as in ploop); a BAT that outgrows its
     * header clusters first moves the data clusters in its way to the end of the file. Shrinking is refused.
     */
    public synchronized void grow(long newSizeBytes) throws IOException, ImageException {
        requireOpen();
        if (newSizeBytes <= 0) {
            throw new IllegalArgumentException("new size must be positive: " + newSizeBytes);
        }
        ImageEntry topEntry = desc.image(desc.topGuid());
        if (topEntry.type() == ImageType.PLAIN && desc.snapshot(topEntry.guid()).isBase()) {
            throw new ImageException(xml + ": growing a Plain (raw) image is not supported");
        }
        Path f = dir.resolve(topEntry.file());
        PloopHeader h = requireClosedDelta(topEntry);
        long cs = h.clusterSectors();
        long newSectors = Math.ceilDiv(Math.ceilDiv(newSizeBytes, PloopFormat.SECTOR_SIZE), cs) * cs;
        if (newSectors < h.sizeInSectors()) {
            throw new ImageException(xml + ": cannot shrink the disk from " + h.sizeBytes() + " to " + newSectors
                    * PloopFormat.SECTOR_SIZE + " bytes; only growing is supported");
        }
        DeltaGrow.grow(f, newSectors, hook);
        PloopHeader nh = requireDelta(f);
        if (desc.diskSizeSectors() != nh.sizeInSectors()) {
            store(desc.withDiskSize(nh.sizeInSectors(), Integer.toUnsignedLong(nh.cylinders())));
        }
        hook.reached("grow: descriptor stored");
    }

    /** Releases the disk lock. Images opened from this disk stay usable but are no longer protected. */
    @Override
    public synchronized void close() throws IOException {
        if (!closed) {
            closed = true;
            lock.close();
        }
    }

    // ---- helpers ----

    private void store(DiskDescriptor d) throws IOException {
        DescriptorXml.store(xml, d);
        desc = d;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException(xml + ": the disk is closed");
        }
    }

    private Snapshot requireSnapshot(String g) throws ImageException {
        Snapshot s = desc.snapshot(g);
        if (s == null) {
            throw new ImageException("no snapshot " + g + " in " + xml + "; list them with 'jvz ploop snapshot-list'");
        }
        return s;
    }

    private static String argGuid(String g) throws ImageException {
        if (g == null || !DiskDescriptor.isValidGuid(g.strip())) {
            throw new ImageException("'" + g + "' is not a GUID (expected 38 characters like "
                    + DiskDescriptor.TOP_GUID + ")");
        }
        return g.strip().toLowerCase(Locale.ROOT);
    }

    private PloopHeader requireClosedDelta(ImageEntry e) throws IOException, ImageException {
        if (e.type() == ImageType.PLAIN && desc.snapshot(e.guid()).isBase()) {
            throw new ImageException(xml + ": image " + e.guid() + " is a Plain (raw) file; this operation needs a "
                    + "ploop delta");
        }
        return requireClosedDelta(dir.resolve(e.file()));
    }

    /** The header of a delta that nothing has open r/w (nor left unclean). */
    private static PloopHeader requireClosedDelta(Path f) throws IOException, ImageException {
        PloopHeader h = requireDelta(f);
        if (h.isInUse()) {
            throw new ImageInUseException(f);
        }
        return h;
    }

    private static PloopHeader requireDelta(Path f) throws IOException, ImageException {
        try (Delta d = Delta.open(f, false)) {
            return d.header();
        }
    }

    private boolean isRawBase(ImageEntry e) {
        return e.type() == ImageType.PLAIN && desc.snapshot(e.guid()).isBase();
    }

    private int versionOf(ImageEntry e) throws IOException, ImageException {
        return isRawBase(e) ? 2 : requireDelta(dir.resolve(e.file())).version();
    }

    /** A clean, empty delta header of exactly {@code sizeSectors} (the BAT rounded up to whole clusters). */
    private static PloopHeader emptyHeader(int version, long sizeSectors, int clusterSectors) {
        long bat = Math.ceilDiv(sizeSectors, clusterSectors);
        long cyl = Math.min(sizeSectors / PloopFormat.GEOMETRY_HEADS / PloopFormat.GEOMETRY_SECTORS_PER_TRACK,
                0xFFFF_FFFFL);
        return emptyLike(new PloopHeader(version, PloopFormat.GEOMETRY_HEADS, (int) cyl, clusterSectors, bat,
                sizeSectors, PloopFormat.INUSE_CLOSED, 0, PloopFormat.FLAG_EMPTY, 0));
    }

    /** A clean, empty delta header with the same geometry, size, cluster and version as {@code h}. */
    private static PloopHeader emptyLike(PloopHeader h) {
        long headerClusters = PloopFormat.headerClusters(h.batEntries(), h.clusterSectors());
        return new PloopHeader(h.version(), h.heads(), h.cylinders(), h.clusterSectors(), h.batEntries(),
                h.sizeInSectors(), PloopFormat.INUSE_CLOSED, headerClusters * h.clusterSectors(),
                PloopFormat.FLAG_EMPTY, 0);
    }

    /** ploop names a new top after the base file plus a fresh GUID: {@code root.hdd.{GUID}}. */
    private String newTopFileName() {
        String base = desc.image(desc.base().guid()).file();
        for (int i = 0; i < 16; i++) {
            String name = base + "." + DiskDescriptor.newGuid();
            if (!Files.exists(dir.resolve(name))) {
                return name;
            }
        }
        throw new IllegalStateException("could not pick a fresh delta file name beside " + base);
    }

    private static void closeQuietly(AutoCloseable c, Exception primary) {
        try {
            c.close();
        } catch (Exception e) {
            primary.addSuppressed(e);
        }
    }
}
