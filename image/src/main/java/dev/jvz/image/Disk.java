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
import java.util.BitSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * A ploop disk: a directory with {@code DiskDescriptor.xml} and its delta files (PLOOP-FORMAT.md,
 * section 2), held under the disk's lock ({@code DiskDescriptor.xml.lck}) from open to {@link #close()}.
 *
 * <p>Snapshot, merge, delete, switch and grow are offline operations: every image this disk handed
 * out by {@link #openImage} must be closed first (a top still marked in use is refused). Their
 * {@code *Live} variants run on a disk whose image is being served.
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
     * {@link #merge} on a mounted disk. A snapshot below the active top: the clusters are copied while
     * the disk is served (the child still shadows its parent, so reads do not change meanwhile); I/O
     * pauses only to reopen the shorter chain. The active top itself: see {@link #mergeTopLive}.
     */
    public synchronized void mergeLive(Image live, String guid) throws IOException, ImageException {
        requireOpen();
        String c = argGuid(guid);
        if (c.equals(desc.topGuid())) {
            mergeTopLive(live);
            return;
        }
        merge(c);
        whileLive(live, () -> Boolean.TRUE);
    }

    /**
     * {@link #deleteSnapshot} on a mounted disk ({@code vzctl snapshot-delete} of a running container).
     * The file system need not be frozen: a delete changes no content, only where it is stored.
     *
     * <p>The common case is a snapshot S whose only child is the active top T (take a snapshot, later
     * delete it): deleting S means merging T down into S, and S becomes the top. That is what ploop's
     * online merge does, and it is the only direction that works while the disk is served: T is the
     * file being written, S is read-only beside it, so S can take T's clusters without any reader
     * noticing (T shadows S for exactly those clusters), whereas merging S up into T would change the
     * content T's readers see mid-copy for every cluster T does not hold. See {@link #mergeTopLive}.
     *
     * <p>A snapshot whose only child is below the top is merged as {@link #mergeLive} does (the child is
     * read-only too); a leaf off the active chain, or a snapshot with several children, changes only
     * the descriptor. Temporary snapshots left with at most one child are then deleted the same way.
     */
    public synchronized void deleteSnapshotLive(Image live, String guid) throws IOException, ImageException {
        requireOpen();
        deleteOneLive(live, argGuid(guid));
        collapseTemporaries(live);
    }

    private void deleteOneLive(Image live, String g) throws IOException, ImageException {
        requireSnapshot(g);
        List<Snapshot> kids = desc.children(g);
        if (kids.size() == 1 && kids.getFirst().guid().equals(desc.topGuid())) {
            mergeTopLive(live);
            return;
        }
        boolean inChain = desc.activeChain().stream().anyMatch(e -> e.guid().equals(g));
        deleteOne(g);
        if (inChain && kids.size() == 1) {
            // A child below the top was merged into g: serve from the shorter chain.
            whileLive(live, () -> Boolean.TRUE);
        }
    }

    /** Phase 1 of {@link #mergeTopLive} ends once a pass copies at most this many clusters. */
    private static final int LIVE_MERGE_SMALL_PASS = 64;
    /** Phase 1 passes at most: a writer faster than the copy is caught up with in the pause. */
    private static final int LIVE_MERGE_MAX_PASSES = 4;

    /**
     * Merges the active top T of a served disk down into its parent S; S becomes the writable top.
     *
     * <ol>
     *   <li>Pause (short): stop {@link Image#discard} from unmapping T's clusters (so T's mapping only
     *       grows and shadows every cluster S gains), watch T's file writes, grow S if T was grown.
     *   <li>Served: in passes, take the clusters T maps and S has not got (or T rewrote since their
     *       copy), flush T so its BAT names them on disk, then copy each into S (opened writable beside
     *       the read-only S the image reads). A cluster is marked clean before it is read, and T's
     *       write listener marks it dirty again after any write to it lands, so no write is lost.
     *   <li>Pause: flush T, copy what is still dirty or new, flush S (data before BAT), store the
     *       descriptor (S's file takes T's GUID, T's entry goes), serve from the stack with S on top.
     *   <li>Served: delete T's file.
     * </ol>
     *
     * <p>Crash safety: before the descriptor switch, T is the top on disk, and S only gained clusters
     * that T's flushed BAT maps, so the disk reads exactly as T over S would; after it, S holds all
     * of T (flushed before the switch). A crash leaves at most a stray T file or S marked in use.
     */
    private void mergeTopLive(Image live) throws IOException, ImageException {
        String t = desc.topGuid();
        Snapshot top = desc.snapshot(t);
        if (top.isBase()) {
            throw new ImageException("the active top " + t + " of " + xml + " is the base; it has no parent to "
                    + "merge into");
        }
        Snapshot parent = desc.snapshot(top.parentGuid());
        List<Snapshot> siblings = desc.children(parent.guid());
        if (siblings.size() > 1) {
            throw new ImageException("cannot merge " + t + " into " + parent.guid() + ": the parent has "
                    + siblings.size() + " children, which would all see the merged data; delete the others first");
        }
        ImageEntry parentEntry = desc.image(parent.guid());
        if (isRawBase(parentEntry)) {
            throw new ImageException(xml + ": " + parent.guid() + " is a Plain (raw) image, which cannot become "
                    + "the top of a mounted disk; unmount the disk and delete the snapshot offline");
        }
        Path pf = dir.resolve(parentEntry.file());
        Path tf = dir.resolve(desc.image(t).file());
        TopMergeState st = new TopMergeState();
        try {
            startTopMerge(live, st, pf, tf);
            st.parent = Delta.open(pf, true);
            for (int pass = 0; pass < LIVE_MERGE_MAX_PASSES; pass++) {
                ClusterSet todo = st.todo(live.topDelta());
                if (todo.count == 0) {
                    break;
                }
                live.flush(); // T's BAT on disk now names every cluster in todo
                copyClusters(live.topDelta(), st, todo, "live merge: cluster copied");
                if (todo.count <= LIVE_MERGE_SMALL_PASS) {
                    break;
                }
            }
            finishTopMerge(live, st, top, parent, pf);
        } catch (IOException | ImageException | RuntimeException e) {
            if (st.parent != null && !st.switched) {
                // S keeps what it gained (T shadows all of it); closing flushes it and clears its in-use mark.
                closeQuietly(st.parent, e);
                st.parent = null;
            }
            if (st.switched) {
                // The descriptor no longer names T: a step after the switch failed; still drop T's file.
                try {
                    Files.deleteIfExists(tf);
                    Delta.fsyncDirectory(tf);
                } catch (IOException d) {
                    e.addSuppressed(d);
                }
            }
            throw e;
        } finally {
            live.keepTopMapped(false);
            if (st.listening != null) {
                st.listening.compareAndSetListener(st.listener, null);
            }
        }
        Files.deleteIfExists(tf);
        Delta.fsyncDirectory(tf);
        hook.reached("live merge: old top removed");
    }

    /** The clusters one pass copies (a snapshot of the dirty set), and how many. */
    private record ClusterSet(BitSet clusters, int count) {}

    /**
     * What a live top merge tracks. Thread-safety: {@link #fileToVirtual} is atomic and {@link #dirty}
     * is guarded by itself, because T's write listener runs on writer threads; the rest is used by the
     * merging thread only.
     */
    private static final class TopMergeState {
        /** T's file cluster -> virtual cluster + 1, for the clusters copied (0: not watched). */
        AtomicIntegerArray fileToVirtual;
        int clusterShift;
        /** Virtual clusters T rewrote since their copy; guarded by itself. */
        final BitSet dirty = new BitSet();
        /** Virtual clusters copied into S at least once. */
        final BitSet copied = new BitSet();
        final DeltaWriteListener listener = this::written;
        Delta listening;
        Delta parent;
        boolean switched;

        private void written(long off, long len) {
            long first = off >>> clusterShift;
            long last = (off + len - 1) >>> clusterShift;
            for (long fc = first; fc <= last && fc < fileToVirtual.length(); fc++) {
                int v = fileToVirtual.get((int) fc);
                if (v != 0) {
                    synchronized (dirty) {
                        dirty.set(v - 1);
                    }
                }
            }
        }

        /** The clusters T maps that were never copied, plus those rewritten since; clears the dirty set. */
        ClusterSet todo(Delta t) {
            BitSet out = new BitSet();
            synchronized (dirty) {
                out.or(dirty);
                dirty.clear();
            }
            for (int v = 0; v < t.batEntries(); v++) {
                if (!copied.get(v) && t.lookup(v) >= 0) {
                    out.set(v);
                }
            }
            return new ClusterSet(out, out.cardinality());
        }
    }

    /** Phase 0 of {@link #mergeTopLive}, with I/O paused. */
    private void startTopMerge(Image live, TopMergeState st, Path pf, Path tf) throws IOException, ImageException {
        Exception[] failure = new Exception[1];
        live.reconfigure(current -> {
            List<Layer> next = new ArrayList<>(current);
            try {
                int n = current.size();
                if (n < 2 || !current.getLast().path().equals(tf) || !current.get(n - 2).path().equals(pf)) {
                    throw new ImageException(xml + ": the served stack does not end in " + pf.getFileName() + ", "
                            + tf.getFileName() + " as the descriptor says; unmount and mount the disk again");
                }
                Delta t = (Delta) current.getLast();
                PloopHeader th = t.header();
                // No cluster of T is freed meanwhile (keepTopMapped), so each virtual cluster is
                // allocated at most once more, past the current end of the file.
                long maxFileClusters = Math.max(Math.ceilDiv(t.fileSize(), t.clusterBytes()), th.dataStartCluster())
                        + th.batEntries() + 1;
                st.fileToVirtual = new AtomicIntegerArray(Math.toIntExact(maxFileClusters));
                st.clusterShift = Long.numberOfTrailingZeros(t.clusterBytes());
                if (!t.compareAndSetListener(null, st.listener)) {
                    throw new ImageLockedException(xml + ": a copy is tracking writes to " + tf.getFileName()
                            + "; wait for it to finish, then delete the snapshot");
                }
                st.listening = t;
                live.keepTopMapped(true);
                PloopHeader ph = requireDelta(pf);
                if (ph.clusterSectors() != th.clusterSectors() || ph.version() != th.version()) {
                    throw new ImageCorruptedException(tf + " and " + pf + " differ in cluster size or format "
                            + "version; they cannot belong to one disk");
                }
                if (ph.sizeInSectors() < th.sizeInSectors()) {
                    // The read-only S the image serves must not see its BAT move under it: reopen it.
                    current.get(n - 2).close();
                    try {
                        DeltaGrow.grow(pf, th.sizeInSectors(), hook);
                        hook.reached("live merge: parent grown");
                    } finally {
                        next.set(n - 2, Delta.open(pf, false));
                    }
                }
            } catch (IOException | ImageException | RuntimeException e) {
                failure[0] = e;
            }
            return next;
        });
        rethrow(failure[0]);
    }

    /** Copies the clusters of {@code todo} from T into S (phase 1 served, or phase 2 paused). */
    private void copyClusters(Delta t, TopMergeState st, ClusterSet todo, String step) throws IOException {
        Delta p = st.parent;
        ByteBuffer buf = ByteBuffer.allocate((int) t.clusterBytes());
        for (int v = todo.clusters().nextSetBit(0); v >= 0; v = todo.clusters().nextSetBit(v + 1)) {
            long off = t.lookup(v); // never unmapped meanwhile: keepTopMapped
            st.fileToVirtual.set(Math.toIntExact(off >>> st.clusterShift), v + 1);
            synchronized (st.dirty) {
                st.dirty.clear(v); // before the read: a write landing after it marks v again
            }
            buf.clear();
            t.readAt(off, buf);
            buf.flip();
            long po = p.lookup(v);
            if (po >= 0) {
                p.writeAt(po, buf); // T shadows this cluster until the switch
            } else {
                p.allocate(v, buf, null, 0);
            }
            st.copied.set(v);
            hook.reached(step);
        }
    }

    /** Phase 2 of {@link #mergeTopLive}, with I/O paused: the last copies, the flush and the switch. */
    private void finishTopMerge(Image live, TopMergeState st, Snapshot top, Snapshot parent, Path pf)
            throws IOException, ImageException {
        Exception[] failure = new Exception[1];
        live.reconfigure(current -> {
            int n = current.size();
            Delta t = (Delta) current.getLast();
            boolean stored = false;
            try {
                t.flush();
                copyClusters(t, st, st.todo(t), "live merge: cluster copied while paused");
                st.parent.flush();
                hook.reached("live merge: parent flushed");
                DiskDescriptor nd = mergedDescriptor(top, parent);
                store(nd);
                stored = true;
                hook.reached("live merge: descriptor stored");
            } catch (IOException | RuntimeException e) {
                failure[0] = e;
                if (!stored) {
                    return current; // T is still the top, on disk and here; S only gained shadowed clusters
                }
            }
            // The descriptor names S as the top: serve from it whatever else fails.
            t.compareAndSetListener(st.listener, null);
            st.listening = null;
            List<Layer> next = new ArrayList<>(current.subList(0, n - 2));
            st.switched = true;
            if (live.writable()) {
                next.add(st.parent);
            } else {
                st.parent.close();
                next.add(Delta.open(pf, false));
            }
            try {
                Image.closeAll(List.of(current.get(n - 2), t));
            } catch (IOException e) {
                if (failure[0] == null) {
                    failure[0] = e;
                } else {
                    failure[0].addSuppressed(e);
                }
            }
            return next;
        });
        rethrow(failure[0]);
    }

    private static void rethrow(Exception e) throws IOException, ImageException {
        if (e instanceof IOException x) {
            throw x;
        } else if (e instanceof ImageException x) {
            throw x;
        } else if (e instanceof RuntimeException x) {
            throw x;
        }
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

        store(mergedDescriptor(child, parent));
        hook.reached("merge: descriptor stored");
        Files.delete(childFile);
        Delta.fsyncDirectory(childFile);
        hook.reached("merge: child file removed");
    }

    /**
     * The descriptor after {@code child} was merged into {@code parent}: the parent's file takes the
     * child's GUID (so the top GUID stays the top's), the child's entry goes.
     */
    private DiskDescriptor mergedDescriptor(Snapshot child, Snapshot parent) {
        String c = child.guid();
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
        return desc.withImagesAndSnapshots(images, shots);
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
        collapseTemporaries(null);
    }

    /** {@link #collapseTemporaries()}, on a mounted disk when {@code live} is not null. */
    private void collapseTemporaries(Image live) throws IOException, ImageException {
        boolean again = true;
        while (again) { // each round removes one snapshot, so this ends
            again = false;
            for (Snapshot s : desc.snapshots()) {
                int kids = desc.children(s.guid()).size();
                if (s.temporary() && !s.guid().equals(desc.topGuid()) && kids <= 1 && !(kids == 0 && s.isBase())) {
                    if (live == null) {
                        deleteOne(s.guid());
                    } else {
                        deleteOneLive(live, s.guid());
                    }
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
