package dev.jvz.image;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * A disk: a stack of deltas opened for block I/O, base at index 0, only the top writable
 * (PLOOP-FORMAT.md, section 2). Reads take the topmost layer that maps a cluster, else zeros; a
 * partial write to a cluster held only by a lower layer copies that cluster up first.
 *
 * <p>Thread-safe: concurrent reads and writes from many threads (NBD connections) are allowed.
 * Writes to distinct clusters never interfere; allocation races on one cluster are resolved by the
 * top delta's lock. Overlapping concurrent writes land in some order, as on any block device.
 */
public final class Image implements BlockDevice {
    /** The layers in use and the virtual size they give; replaced as a whole by {@link #reconfigure}. */
    private record Stack(List<Layer> layers, long size) {
        Stack {
            layers = List.copyOf(layers);
        }

        Layer top() {
            return layers.getLast();
        }
    }

    private volatile Stack stack;
    private final long clusterBytes;
    private final int clusterShift;
    private final boolean writable;
    /**
     * Every I/O call holds the read lock; {@link #reconfigure} (live snapshot, merge, grow) holds the
     * write lock, so it sees no request in flight and none starts until the new stack is in place.
     */
    private final ReentrantReadWriteLock pause = new ReentrantReadWriteLock();
    /** Set when a reconfiguration could not reopen the stack: every I/O call then fails with it. */
    private volatile String unusable;
    /**
     * While set, {@link #discard} never unmaps a cluster of the top delta (it writes zeros instead), so
     * the top's mapping only grows: a live merge of the top into its parent relies on every cluster it
     * copied staying shadowed by the top until the switch ({@link Disk#deleteSnapshotLive}).
     */
    private volatile boolean keepTopMapped;

    Image(List<Layer> layers, long size, long clusterBytes, boolean writable) {
        this.stack = new Stack(layers, size);
        this.clusterBytes = clusterBytes;
        this.clusterShift = Long.numberOfTrailingZeros(clusterBytes);
        this.writable = writable;
    }

    /** Creates a new, empty delta file (refuses to overwrite an existing file). */
    public static void create(Path delta, CreateOptions options) throws IOException {
        Delta.requireAbsent(delta);
        Delta.create(delta, options.header());
    }

    /** Opens a single delta. */
    public static Image open(Path delta, boolean writable) throws IOException, ImageException {
        return openStack(List.of(delta), writable);
    }

    /** Opens a stack of deltas, listed base first; the top one is writable if asked. */
    public static Image openStack(List<Path> bottomToTop, boolean writable) throws IOException, ImageException {
        if (bottomToTop.isEmpty()) {
            throw new IllegalArgumentException("a stack needs at least one delta");
        }
        if (bottomToTop.size() > PloopFormat.MAX_DELTAS) {
            throw new ImageException("a stack holds at most " + PloopFormat.MAX_DELTAS + " deltas, not "
                    + bottomToTop.size() + "; merge some snapshots first");
        }
        List<Layer> opened = new ArrayList<>();
        try {
            for (int i = 0; i < bottomToTop.size(); i++) {
                boolean isTop = i == bottomToTop.size() - 1;
                opened.add(Delta.open(bottomToTop.get(i), writable && isTop));
            }
            return fromLayers(opened, writable);
        } catch (IOException | ImageException | RuntimeException e) {
            closeQuietly(opened, e);
            throw e;
        }
    }

    /** Builds an image over opened layers, checking that the deltas agree. Closes nothing on failure. */
    static Image fromLayers(List<Layer> layers, boolean writable) throws ImageException {
        PloopHeader topHeader = null;
        for (Layer l : layers) {
            if (l instanceof Delta d) {
                PloopHeader h = d.header();
                if (topHeader != null) {
                    if (h.clusterSectors() != topHeader.clusterSectors()) {
                        throw new ImageException(d.path() + ": cluster size " + h.clusterSectors()
                                + " sectors differs from " + topHeader.clusterSectors()
                                + " in the rest of the stack; all deltas of a disk must share it");
                    }
                    if (h.version() != topHeader.version()) {
                        throw new ImageException(d.path() + ": format v" + h.version() + " differs from v"
                                + topHeader.version() + " in the rest of the stack; convert the images first");
                    }
                }
                topHeader = h;
            }
        }
        if (topHeader == null) {
            throw new IllegalArgumentException("a stack of raw files only is not a ploop disk");
        }
        if (!(layers.getLast() instanceof Delta)) {
            throw new IllegalArgumentException("the top of a stack must be a ploop delta");
        }
        return new Image(layers, topHeader.sizeBytes(), topHeader.clusterBytes(), writable);
    }

    @Override
    public long size() {
        return stack.size();
    }

    public long clusterBytes() {
        return clusterBytes;
    }

    public int clusterSectors() {
        return (int) (clusterBytes / PloopFormat.SECTOR_SIZE);
    }

    public int version() {
        return topDelta().header().version();
    }

    /** Number of layers in the stack. */
    public int depth() {
        return stack.layers().size();
    }

    public Path topPath() {
        return stack.top().path();
    }

    public PloopHeader topHeader() {
        return topDelta().header();
    }

    /** Index of the topmost layer that holds virtual cluster {@code cluster}, or -1 (reads as zeros). */
    public int layerOf(long cluster) {
        return layerOf(stack.layers(), cluster);
    }

    private static int layerOf(List<Layer> layers, long cluster) {
        for (int i = layers.size() - 1; i >= 0; i--) {
            if (layers.get(i).lookup(cluster) >= 0) {
                return i;
            }
        }
        return -1;
    }

    /** Number of virtual clusters. */
    public long clusters() {
        return Math.ceilDiv(size(), clusterBytes);
    }

    /** Reports every byte range written to the top delta's file (for the write tracker); null to stop. */
    public void setTopWriteListener(DeltaWriteListener listener) {
        topDelta().setListener(listener);
    }

    Delta topDelta() {
        return (Delta) stack.top();
    }

    List<Layer> layers() {
        return stack.layers();
    }

    boolean writable() {
        return writable;
    }

    /** See {@link #keepTopMapped}. */
    void keepTopMapped(boolean keep) {
        keepTopMapped = keep;
    }

    /** What a reconfiguration does while I/O is paused: given the current layers, return the new ones. */
    @FunctionalInterface
    interface Reconfiguration {
        List<Layer> apply(List<Layer> current) throws IOException, ImageException;
    }

    /**
     * Replaces the layers under a live image (snapshot, merge, grow while mounted): waits for every
     * request in flight, runs {@code change} with no I/O running, then serves from the layers it
     * returns. {@code change} closes what it no longer needs. If it fails, the image becomes unusable
     * (every request fails with that message) unless it returned normally: callers reopen on failure.
     */
    void reconfigure(Reconfiguration change) throws IOException, ImageException {
        pause.writeLock().lock();
        try {
            List<Layer> next;
            try {
                next = change.apply(stack.layers());
            } catch (IOException | ImageException | RuntimeException e) {
                unusable = "the disk could not be reopened after a failed change (" + e.getMessage()
                        + "); unmount it and run 'jvz ploop check'";
                throw e;
            }
            PloopHeader h = ((Delta) next.getLast()).header();
            stack = new Stack(next, h.sizeBytes());
        } finally {
            pause.writeLock().unlock();
        }
    }

    /** Enters an I/O call: pauses while a reconfiguration runs; the caller must call {@link #end()}. */
    private Stack begin() throws IOException {
        pause.readLock().lock();
        String u = unusable;
        if (u != null) {
            pause.readLock().unlock();
            throw new IOException(u);
        }
        return stack;
    }

    private void end() {
        pause.readLock().unlock();
    }

    @Override
    public boolean readOnly() {
        return !writable;
    }

    private static void checkRange(Stack s, long offset, long length) {
        long size = s.size();
        if (offset < 0 || length < 0 || offset > size || length > size - offset) {
            throw new IllegalArgumentException("range [" + offset + ", +" + length + ") is outside the disk of "
                    + size + " bytes");
        }
    }

    @Override
    public void read(long offset, ByteBuffer dst) throws IOException {
        Stack s = begin();
        try {
            checkRange(s, offset, dst.remaining());
            List<Layer> layers = s.layers();
            long mask = clusterBytes - 1;
            while (dst.hasRemaining()) {
                long cluster = offset >>> clusterShift;
                long inCluster = offset & mask;
                int n = (int) Math.min(dst.remaining(), clusterBytes - inCluster);
                int layer = layerOf(layers, cluster);
                if (layer < 0) {
                    zero(dst.slice(dst.position(), n));
                } else {
                    Layer l = layers.get(layer);
                    long fo = l.lookup(cluster) + inCluster;
                    // Following clusters stored right after this one in the same layer: one read for all.
                    for (long next = cluster + 1; n < dst.remaining() && layerOf(layers, next) == layer
                            && l.lookup(next) == fo + n; next++) {
                        n += (int) Math.min(dst.remaining() - n, clusterBytes);
                    }
                    l.readAt(fo, dst.slice(dst.position(), n));
                }
                dst.position(dst.position() + n);
                offset += n;
            }
        } finally {
            end();
        }
    }

    @Override
    public void write(long offset, ByteBuffer src) throws IOException {
        requireWritable();
        Stack s = begin();
        try {
            checkRange(s, offset, src.remaining());
            long mask = clusterBytes - 1;
            while (src.hasRemaining()) {
                long cluster = offset >>> clusterShift;
                int inCluster = (int) (offset & mask);
                int n = (int) Math.min(src.remaining(), clusterBytes - inCluster);
                ByteBuffer piece = src.slice(src.position(), n);
                writeInCluster(s, cluster, inCluster, piece);
                src.position(src.position() + n);
                offset += n;
            }
        } finally {
            end();
        }
    }

    private void writeInCluster(Stack s, long cluster, int inCluster, ByteBuffer piece) throws IOException {
        Delta d = (Delta) s.top();
        long fo = d.lookup(cluster);
        if (fo < 0) {
            if (piece.remaining() == clusterBytes) {
                fo = d.allocate(cluster, piece, null, 0);
            } else {
                int lower = layerOf(s.layers(), cluster);
                if (lower < 0) {
                    fo = d.allocate(cluster, null, piece, inCluster);
                } else {
                    // Copy-up: the new cluster is the lower one with this write laid over it.
                    ByteBuffer whole = ByteBuffer.allocate((int) clusterBytes);
                    Layer l = s.layers().get(lower);
                    l.readAt(l.lookup(cluster), whole);
                    whole.clear();
                    whole.put(inCluster, piece, piece.position(), piece.remaining());
                    fo = d.allocate(cluster, whole, null, 0);
                    if (!whole.hasRemaining()) {
                        piece.position(piece.limit());
                    }
                }
            }
        }
        if (piece.hasRemaining()) {
            // Either allocated in place before, or another thread allocated it while we prepared.
            d.writeAt(fo + inCluster, piece);
        }
    }

    /**
     * Discards a range: whole clusters that only the top delta holds are unmapped (they read as zeros
     * again); everything else in the range is overwritten with zeros.
     */
    public void discard(long offset, long length) throws IOException {
        requireWritable();
        Stack s = begin();
        try {
            checkRange(s, offset, length);
            Delta d = (Delta) s.top();
            List<Layer> layers = s.layers();
            long end = offset + length;
            long mask = clusterBytes - 1;
            while (offset < end) {
                long cluster = offset >>> clusterShift;
                int inCluster = (int) (offset & mask);
                int n = (int) Math.min(end - offset, clusterBytes - inCluster);
                if (n == clusterBytes && !keepTopMapped && layerOf(layers.subList(0, layers.size() - 1), cluster) < 0) {
                    if (d.lookup(cluster) >= 0) {
                        d.setEntry(cluster, 0);
                    }
                } else if (layerOf(layers, cluster) >= 0) {
                    writeInCluster(s, cluster, inCluster, ByteBuffer.allocate(n));
                }
                offset += n;
            }
        } finally {
            end();
        }
    }

    @Override
    public void flush() throws IOException {
        if (writable) {
            Stack s = begin();
            try {
                ((Delta) s.top()).flush();
            } finally {
                end();
            }
        }
    }

    private void requireWritable() {
        if (!writable) {
            throw new IllegalStateException(stack.top().path() + " is open read-only");
        }
    }

    static void zero(ByteBuffer b) {
        if (b.hasArray()) {
            java.util.Arrays.fill(b.array(), b.arrayOffset() + b.position(), b.arrayOffset() + b.limit(), (byte) 0);
        } else {
            while (b.hasRemaining()) {
                b.put((byte) 0);
            }
        }
    }

    /** Closes every layer; the top's clean-close mark is written last. */
    @Override
    public void close() throws IOException {
        pause.writeLock().lock();
        try {
            closeAll(stack.layers());
        } finally {
            pause.writeLock().unlock();
        }
    }

    static void closeAll(List<Layer> layers) throws IOException {
        IOException first = null;
        for (int i = layers.size() - 1; i >= 0; i--) {
            try {
                layers.get(i).close();
            } catch (IOException e) {
                if (first == null) {
                    first = e;
                } else {
                    first.addSuppressed(e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static void closeQuietly(List<Layer> layers, Exception primary) {
        try {
            closeAll(layers);
        } catch (IOException e) {
            primary.addSuppressed(e);
        }
    }
}
