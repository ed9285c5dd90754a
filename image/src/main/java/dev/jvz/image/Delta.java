package dev.jvz.image;

import static dev.jvz.image.PloopFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One ploop delta file: header, BAT and data clusters (PLOOP-FORMAT.md, section 1).
 *
 * <p>Crash safety: a new data cluster is appended at the end of the file; its BAT entry is changed in
 * memory at once (so reads see it) but written to disk only by {@link #flush()}, which first makes the
 * data durable (fdatasync), then writes the dirty BAT pages, then syncs again. A crash can therefore
 * leave an unreferenced tail cluster (a leak that check trims), never a BAT entry pointing at garbage.
 * Writes are durable once {@code flush()} returns, as on a block device.
 *
 * <p>Thread-safety: safe for concurrent use. BAT entries are read without locking (an
 * {@link AtomicIntegerArray}); {@link #lock} guards allocation ({@link #nextFreeCluster}), BAT changes,
 * {@link #dirtyBatPages} and {@link #header}. Data I/O is positional and takes no lock.
 */
final class Delta implements Layer {
    /** BAT pages written at flush are 4 KiB: the page size, and a multiple of the sector. */
    static final int BAT_PAGE = 4096;
    private static final int BAT_ENTRIES_PER_PAGE = BAT_PAGE / BAT_ENTRY_SIZE;

    private final Path path;
    private final FileChannel ch;
    private final boolean writable;
    private final long clusterBytes;
    private final int clusterShift;
    /** Raw BAT entries as stored (v1: sector offsets, v2: cluster indexes), unsigned. */
    private final AtomicIntegerArray bat;

    final ReentrantLock lock = new ReentrantLock();
    /** Guarded by {@link #lock}. */
    private PloopHeader header;
    /** Guarded by {@link #lock}: the next cluster index an allocation takes. */
    private long nextFreeCluster;
    /** Guarded by {@link #lock}: BAT pages changed in memory but not yet on disk. Page 0 starts at file offset 0. */
    private final BitSet dirtyBatPages = new BitSet();
    /** Guarded by {@link #lock}: the header in memory differs from the one on disk. */
    private boolean headerDirty;
    /** The one listener told of file writes (the write tracker); installed atomically so two cannot race. */
    private final AtomicReference<DeltaWriteListener> listener = new AtomicReference<>();
    private volatile boolean closed;

    private Delta(Path path, FileChannel ch, PloopHeader header, int[] rawBat, boolean writable, long nextFree) {
        this.path = path;
        this.ch = ch;
        this.header = header;
        this.writable = writable;
        this.clusterBytes = header.clusterBytes();
        this.clusterShift = Long.numberOfTrailingZeros(clusterBytes);
        this.bat = new AtomicIntegerArray(rawBat);
        this.nextFreeCluster = nextFree;
    }

    /**
     * Creates a new, empty delta file: header and zeroed BAT, padded to whole clusters, synced.
     * Fails if the file exists.
     */
    static void create(Path path, PloopHeader header) throws IOException {
        long bytes = header.dataStartCluster() * header.clusterBytes();
        try (FileChannel c = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            c.write(header.withInUse(INUSE_CLOSED).encode(), 0);
            // The BAT is all zeros: extending the file leaves a hole that reads as zeros.
            c.write(ByteBuffer.allocate(1), bytes - 1);
            c.force(true);
        }
        fsyncDirectory(path);
    }

    /** Opens a delta, validating the header and every BAT entry. */
    static Delta open(Path path, boolean writable) throws IOException, ImageException {
        FileChannel ch = writable
                ? FileChannel.open(path, StandardOpenOption.READ, StandardOpenOption.WRITE)
                : FileChannel.open(path, StandardOpenOption.READ);
        try {
            Delta d = load(path, ch, writable);
            if (writable) {
                d.markInUse();
            }
            return d;
        } catch (IOException | ImageException | RuntimeException e) {
            ch.close();
            throw e;
        }
    }

    private static Delta load(Path path, FileChannel ch, boolean writable) throws IOException, ImageException {
        long fileSize = ch.size();
        ByteBuffer hb = ByteBuffer.allocate(HEADER_SIZE);
        ch.read(hb, 0);
        PloopHeader h = PloopHeader.decode(hb.flip(), path.toString());
        if (writable && h.isInUse()) {
            throw new ImageInUseException(path);
        }
        if (writable && (h.flags() & FLAG_CONVERSION) != 0) {
            throw new ImageCorruptedException(path + ": a format conversion was interrupted; "
                    + "if its BAT is complete, run 'jvz ploop check -F " + path + "' to clear the flag before writing it");
        }
        int[] raw = readBat(ch, h, fileSize, path);
        long next = validateBat(h, raw, fileSize, path);
        return new Delta(path, ch, h, raw, writable, next);
    }

    /** Reads the BAT, refusing a header whose BAT would not fit in the file. */
    static int[] readBat(FileChannel ch, PloopHeader h, long fileSize, Path path) throws IOException,
            ImageCorruptedException {
        long batBytes = h.batEntries() * BAT_ENTRY_SIZE;
        if (HEADER_SIZE + batBytes > fileSize) {
            throw new ImageCorruptedException(path + ": the BAT of " + h.batEntries() + " entries needs "
                    + (HEADER_SIZE + batBytes) + " bytes but the file has " + fileSize
                    + "; the file is truncated or its header is damaged");
        }
        int[] raw = new int[(int) h.batEntries()];
        ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        long pos = HEADER_SIZE;
        int i = 0;
        while (i < raw.length) {
            buf.clear();
            buf.limit((int) Math.min(buf.capacity(), (long) (raw.length - i) * BAT_ENTRY_SIZE));
            RawLayer.readFully(ch, pos, buf, path);
            pos += buf.limit();
            buf.flip();
            while (buf.remaining() >= BAT_ENTRY_SIZE) {
                raw[i++] = buf.getInt();
            }
        }
        return raw;
    }

    /** Converts a raw BAT entry to a file cluster index; -1 for an unaligned v1 entry. */
    static long entryToCluster(PloopHeader h, int raw) {
        long e = Integer.toUnsignedLong(raw);
        if (h.version() == 2) {
            return e;
        }
        return e % h.clusterSectors() == 0 ? e / h.clusterSectors() : -1;
    }

    static int clusterToEntry(PloopHeader h, long fileCluster) {
        return (int) (h.version() == 2 ? fileCluster : fileCluster * h.clusterSectors());
    }

    /**
     * Checks every BAT entry: aligned, inside the data area, a whole cluster inside the file, used once.
     *
     * @return the first cluster index an allocation may take
     */
    private static long validateBat(PloopHeader h, int[] raw, long fileSize, Path path) throws ImageCorruptedException {
        long cb = h.clusterBytes();
        long dataStart = h.dataStartCluster();
        long fileClusters = fileSize / cb;
        BitSet used = new BitSet((int) Math.min(fileClusters, Integer.MAX_VALUE));
        long maxUsed = dataStart - 1;
        String fix = "; run 'jvz ploop check -F " + path + "' to clear the entry (the data it names is lost)";
        for (int i = 0; i < raw.length; i++) {
            if (raw[i] == 0) {
                continue;
            }
            long c = entryToCluster(h, raw[i]);
            if (c < 0) {
                throw new ImageCorruptedException(path + ": BAT entry " + i + " (sector "
                        + Integer.toUnsignedString(raw[i]) + ") is not aligned to a cluster" + fix);
            }
            if (c < dataStart) {
                throw new ImageCorruptedException(path + ": BAT entry " + i + " points into the header/BAT area"
                        + fix);
            }
            if (c >= fileClusters) {
                throw new ImageCorruptedException(path + ": BAT entry " + i + " points past end of file" + fix);
            }
            if (used.get((int) c)) {
                throw new ImageCorruptedException(path + ": BAT entry " + i + " points at cluster " + c
                        + " that another entry uses too; run 'jvz ploop check -f --repair-duplicates " + path
                        + "' to give each entry its own copy");
            }
            used.set((int) c);
            maxUsed = Math.max(maxUsed, c);
        }
        return maxUsed + 1;
    }

    private void markInUse() throws IOException {
        lock.lock();
        try {
            // Drop a format extension (ploop's CBT bitmap): jvz does not keep it up to date, so it goes
            // stale with the first write, and its cluster is not in the BAT, so the first allocation
            // may reuse it for data. QEMU reads the extension whenever extOffset is set and refuses an
            // image whose extension cluster holds anything else (block/parallels.c).
            header = header.withInUse(INUSE_OPEN).withExtOffset(0);
            writeHeaderLocked();
            ch.force(false);
        } finally {
            lock.unlock();
        }
    }

    PloopHeader header() {
        lock.lock();
        try {
            return header;
        } finally {
            lock.unlock();
        }
    }

    long clusterBytes() {
        return clusterBytes;
    }

    long batEntries() {
        return bat.length();
    }

    /** Raw BAT entry as stored. */
    int rawEntry(long cluster) {
        return bat.get((int) cluster);
    }

    @Override
    public long lookup(long cluster) {
        if (cluster >= bat.length()) {
            return -1;
        }
        int raw = bat.get((int) cluster);
        if (raw == 0) {
            return -1;
        }
        long e = Integer.toUnsignedLong(raw);
        return header.version() == 2 ? e << clusterShift : e * SECTOR_SIZE;
    }

    @Override
    public void readAt(long fileOffset, ByteBuffer dst) throws IOException {
        RawLayer.readFully(ch, fileOffset, dst, path);
    }

    /** Writes inside an allocated cluster (the caller has resolved the file offset). */
    void writeAt(long fileOffset, ByteBuffer src) throws IOException {
        requireWritable();
        int len = src.remaining();
        long pos = fileOffset;
        try {
            while (src.hasRemaining()) {
                pos += ch.write(src, pos);
            }
        } finally {
            // Even a failed write may have changed some of these bytes: a tracker must resend them.
            notifyWritten(fileOffset, len);
        }
    }

    /**
     * Allocates a new data cluster for virtual cluster {@code cluster} at the end of the file and fills
     * it: {@code content} (exactly one cluster, or null) is written whole; otherwise {@code partial} is
     * written at {@code offsetInCluster} and the rest of the cluster reads as zeros. Returns the file
     * offset of the new cluster, or the existing one if another thread allocated it meanwhile (then
     * nothing is written and the caller must write in place).
     *
     * <p>The BAT entry changes in memory now and reaches the disk at the next {@link #flush()}.
     */
    long allocate(long cluster, ByteBuffer content, ByteBuffer partial, int offsetInCluster) throws IOException {
        requireWritable();
        lock.lock();
        try {
            long existing = lookup(cluster);
            if (existing >= 0) {
                return existing;
            }
            long fileCluster = nextFreeCluster;
            long maxCluster = header.version() == 2 ? V2_MAX_CLUSTERS : V1_MAX_SECTORS / header.clusterSectors();
            if (fileCluster >= maxCluster) {
                throw new IOException(path + ": the image file is full (" + fileCluster + " clusters)");
            }
            long off = fileCluster << clusterShift;
            // A tail left by a crash or a failed write may hold garbage: cut it so the hole reads zeros.
            if (ch.size() > off) {
                ch.truncate(off);
            }
            if (content != null) {
                long pos = off;
                while (content.hasRemaining()) {
                    pos += ch.write(content, pos);
                }
            } else {
                // Extend to the whole cluster first (a hole, read as zeros), then the data.
                ch.write(ByteBuffer.allocate(1), off + clusterBytes - 1);
                long pos = off + offsetInCluster;
                while (partial.hasRemaining()) {
                    pos += ch.write(partial, pos);
                }
            }
            bat.set((int) cluster, clusterToEntry(header, fileCluster));
            dirtyBatPages.set(batPage(cluster));
            nextFreeCluster = fileCluster + 1;
            if (header.isEmptyFlag()) {
                header = header.withFlags(header.flags() & ~FLAG_EMPTY);
                headerDirty = true;
            }
            notifyWritten(off, clusterBytes);
            return off;
        } finally {
            lock.unlock();
        }
    }

    /** Sets a BAT entry in memory (a file cluster index, or 0 to unmap); on disk at the next flush. */
    void setEntry(long cluster, long fileCluster) {
        requireWritable();
        lock.lock();
        try {
            bat.set((int) cluster, fileCluster == 0 ? 0 : clusterToEntry(header, fileCluster));
            dirtyBatPages.set(batPage(cluster));
            if (fileCluster >= nextFreeCluster) {
                nextFreeCluster = fileCluster + 1;
            }
        } finally {
            lock.unlock();
        }
    }

    private static int batPage(long cluster) {
        return (int) ((HEADER_SIZE + cluster * BAT_ENTRY_SIZE) / BAT_PAGE);
    }

    /**
     * Makes every write durable: data first (fdatasync), then the changed BAT pages and header, then
     * sync again. A no-op beyond the sync when nothing changed.
     */
    void flush() throws IOException {
        if (!writable) {
            return;
        }
        lock.lock();
        try {
            ch.force(false);
            if (dirtyBatPages.isEmpty() && !headerDirty) {
                return;
            }
            writeDirtyBatLocked();
            if (headerDirty) {
                writeHeaderLocked();
            }
            ch.force(false);
        } finally {
            lock.unlock();
        }
    }

    private void writeDirtyBatLocked() throws IOException {
        ByteBuffer page = ByteBuffer.allocate(BAT_PAGE).order(ByteOrder.LITTLE_ENDIAN);
        long batEnd = HEADER_SIZE + (long) bat.length() * BAT_ENTRY_SIZE;
        for (int p = dirtyBatPages.nextSetBit(0); p >= 0; p = dirtyBatPages.nextSetBit(p + 1)) {
            long start = Math.max((long) p * BAT_PAGE, HEADER_SIZE);
            long end = Math.min((long) (p + 1) * BAT_PAGE, batEnd);
            page.clear();
            for (long off = start; off < end; off += BAT_ENTRY_SIZE) {
                page.putInt(bat.get((int) ((off - HEADER_SIZE) / BAT_ENTRY_SIZE)));
            }
            page.flip();
            long pos = start;
            while (page.hasRemaining()) {
                pos += ch.write(page, pos);
            }
            notifyWritten(start, end - start);
        }
        dirtyBatPages.clear();
    }

    private void writeHeaderLocked() throws IOException {
        ByteBuffer hb = header.encode();
        long pos = 0;
        while (hb.hasRemaining()) {
            pos += ch.write(hb, pos);
        }
        headerDirty = false;
        notifyWritten(0, HEADER_SIZE);
    }

    /** Replaces the header (grow, flag changes); on disk at the next flush. Caller keeps the BAT valid. */
    void setHeader(PloopHeader h) {
        requireWritable();
        lock.lock();
        try {
            if (h.batEntries() != bat.length()) {
                throw new IllegalArgumentException("BAT size cannot change on an open delta");
            }
            header = h.withInUse(header.inUse());
            headerDirty = true;
        } finally {
            lock.unlock();
        }
    }

    /** Number of BAT entries that map a cluster. */
    long allocatedClusters() {
        long n = 0;
        for (int i = 0; i < bat.length(); i++) {
            if (bat.get(i) != 0) {
                n++;
            }
        }
        return n;
    }

    long fileSize() throws IOException {
        return ch.size();
    }

    /**
     * End of the allocated part of the file (ploop's alloc_head): header, BAT and every cluster up to
     * the last allocated one. A leaked tail past it is not data and is cut by the next allocation.
     */
    long allocationEnd() {
        lock.lock();
        try {
            return nextFreeCluster << clusterShift;
        } finally {
            lock.unlock();
        }
    }

    FileChannel channel() {
        return ch;
    }

    void setListener(DeltaWriteListener l) {
        listener.set(l);
    }

    /** Installs {@code update} only if the current listener is {@code expect} (identity); true on success. */
    boolean compareAndSetListener(DeltaWriteListener expect, DeltaWriteListener update) {
        return listener.compareAndSet(expect, update);
    }

    private void notifyWritten(long off, long len) {
        DeltaWriteListener l = listener.get();
        if (l != null) {
            l.written(off, len);
        }
    }

    private void requireWritable() {
        if (!writable) {
            throw new IllegalStateException(path + " is open read-only");
        }
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    @Override
    public Path path() {
        return path;
    }

    @Override
    public boolean writable() {
        return writable;
    }

    /** Flushes and, for a writable delta, clears inUse: the clean-close mark. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        try {
            if (writable) {
                flush();
                lock.lock();
                try {
                    header = header.withInUse(INUSE_CLOSED);
                    writeHeaderLocked();
                    ch.force(false);
                } finally {
                    lock.unlock();
                }
            }
        } finally {
            closed = true;
            ch.close();
        }
    }

    static void fsyncDirectory(Path file) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }

    static void requireAbsent(Path p) throws FileAlreadyExistsException {
        if (Files.exists(p)) {
            throw new FileAlreadyExistsException(p.toString(), null, "already exists; refusing to overwrite it");
        }
    }
}
