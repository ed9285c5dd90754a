package dev.jvz.image;

import static dev.jvz.image.PloopFormat.*;

import dev.jvz.image.CheckReport.Finding;
import dev.jvz.image.CheckReport.Kind;
import dev.jvz.image.CheckReport.Level;
import dev.jvz.image.CheckReport.Severity;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Checks one ploop delta and, when allowed, repairs it: {@code ploop check} and
 * {@code qemu-img check -f parallels} in one (PLOOP-FORMAT.md, section 5; {@link CheckOptions} says
 * which repair needs which permission).
 *
 * <p>What is checked, in order: the header (signature, type 2, cluster size, data area offset, BAT
 * inside the file; any failure is fatal); the inUse mark (a clean image is skipped unless
 * {@code force}); an interrupted conversion; every BAT entry (beyond the virtual size, v1 unaligned,
 * inside the header/BAT area, past the end of file, a cluster already used by an earlier entry); the
 * tail past the last used cluster (a leak; also a file size that is not a multiple of the cluster);
 * holes (with {@code detailed}); the empty flag.
 *
 * <p>Unlike ploop, which writes each fix while it scans, jvz first plans every repair and applies
 * nothing when a fatal problem exists, so a fatal verdict always means "nothing modified". The plan is
 * applied in an order that survives a crash at any point: (1) copies of duplicated clusters are
 * written to new clusters past the last used one and synced; (2) the changed BAT entries are written
 * and synced, so no entry ever points at data not yet durable; (3) the leaked tail is cut and the size
 * synced, after the BAT no longer needs anything there; (4) the header is rewritten (flags, inUse
 * cleared) and synced last, so a crash anywhere earlier leaves the image marked in use and the next
 * check simply runs again.
 *
 * <p>Thread-safety: stateless; each call works on its own file channel. A repairing check takes an
 * exclusive lock on the file for its duration and refuses to run when another process holds one.
 */
public final class ImageChecker {
    private ImageChecker() {}

    /** How many hole ranges a detailed check lists one by one before summarising the rest. */
    static final int MAX_HOLE_FINDINGS = 64;

    /**
     * Checks {@code delta}; repairs it as far as {@code opts} allow. Problems of the image are
     * reported as findings, never thrown.
     *
     * @throws java.nio.file.NoSuchFileException if the file does not exist
     * @throws ImageLockedException if repairing and another process holds a lock on the file
     * @throws IOException if reading or writing the file fails
     */
    public static CheckReport check(Path delta, CheckOptions opts) throws IOException, ImageException {
        return check(delta, opts, null);
    }

    /**
     * Sees every change a repair makes to the file, in order, as it is made; tests use it to rebuild
     * the file as a crash at any point of the repair would leave it.
     */
    interface RepairListener {
        void wrote(long offset, byte[] data);

        void truncated(long size);

        void synced();
    }

    static CheckReport check(Path delta, CheckOptions opts, RepairListener listener) throws IOException,
            ImageException {
        Objects.requireNonNull(delta, "delta");
        Objects.requireNonNull(opts, "opts");
        try (FileChannel ch = opts.readOnly()
                ? FileChannel.open(delta, StandardOpenOption.READ)
                : FileChannel.open(delta, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            FileLock lock = opts.readOnly() ? null : lock(ch, delta);
            try {
                return new Run(delta, ch, opts, listener).run();
            } finally {
                if (lock != null) {
                    lock.release();
                }
            }
        }
    }

    private static FileLock lock(FileChannel ch, Path delta) throws IOException, ImageLockedException {
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw new ImageLockedException(delta + ": another process holds a lock on the image; "
                    + "unmount or stop whatever uses it before repairing, or check it with -r");
        }
        return lock;
    }

    /** A finding being planned: its message depends on whether the repair ends up applied. */
    private record Planned(Kind kind, Level level, long batIndex, long fileOffset, String problem, String action,
            String advice, boolean repairable) {
        Finding finish(boolean applied) {
            boolean repaired = repairable && applied;
            String text = problem + (repaired ? "; " + action : advice == null ? "" : "; " + advice);
            return new Finding(kind, level, batIndex, fileOffset, text, repaired);
        }
    }

    /** One relocation of a duplicated cluster: BAT entry {@code index} gets a copy of {@code from} at {@code to}. */
    private record Move(int index, long from, long to) {}

    /** The state of one check. Not thread-safe; used by one call. */
    private static final class Run {
        private final Path path;
        private final FileChannel ch;
        private final CheckOptions opts;
        private final RepairListener listener;
        private final List<Planned> planned = new ArrayList<>();
        private long fileSize;
        private int version;
        private long clusterBytes;
        private boolean inUse;

        Run(Path path, FileChannel ch, CheckOptions opts, RepairListener listener) {
            this.listener = listener;
            this.path = path;
            this.ch = ch;
            this.opts = opts;
        }

        private void add(Kind kind, Level level, long index, long offset, String problem, String action,
                String advice, boolean repairable) {
            planned.add(new Planned(kind, level, index, offset, problem, action, advice, repairable));
        }

        private CheckReport fatal(Kind kind, String problem) {
            add(kind, Level.FATAL, -1, -1, problem, null, "nothing was modified", false);
            return report(false, 0, 0, 0, 0, 0, fileSize);
        }

        CheckReport run() throws IOException {
            fileSize = ch.size();
            if (fileSize < HEADER_SIZE) {
                return fatal(Kind.TRUNCATED_HEADER, path + ": truncated header (" + fileSize + " of " + HEADER_SIZE
                        + " bytes): this is not a ploop image, or it lost its beginning");
            }
            ByteBuffer raw = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            RawLayer.readFully(ch, 0, raw, path);
            raw.flip();
            PloopHeader h = decodeHeader(raw);
            if (h == null) {
                return report(false, 0, 0, 0, 0, 0, fileSize);
            }
            version = h.version();
            clusterBytes = h.clusterBytes();
            inUse = h.isInUse();
            boolean conversion = (h.flags() & FLAG_CONVERSION) != 0;
            if (!inUse && !opts.force()) {
                add(Kind.SKIPPED_CLEAN, Level.INFO, -1, -1, path + ": image is clean (not marked in use), check "
                        + "skipped; use -f to check it anyway", null, null, false);
                return report(false, 0, 0, 0, 0, 0, fileSize);
            }
            if (inUse && conversion) {
                add(Kind.IN_USE, Level.ERROR, -1, -1, inUseProblem(h), null, null, false);
                add(Kind.CONVERSION, Level.FATAL, -1, -1, path + ": the image is in use in the middle of a v1/v2 "
                        + "format conversion", null, "finish the conversion with the tool that started it; "
                        + "nothing was modified", false);
                return report(false, 0, 0, 0, 0, 0, fileSize);
            }
            return scan(h, conversion);
        }

        /** Validates the raw header field by field so each failure gets its own kind; null if fatal. */
        private PloopHeader decodeHeader(ByteBuffer b) {
            byte[] sig = new byte[SIGNATURE_LENGTH];
            b.get(0, sig);
            if (!Arrays.equals(sig, SIGNATURE_V1) && !Arrays.equals(sig, SIGNATURE_V2)) {
                fatal(Kind.BAD_SIGNATURE, path + ": wrong signature (neither 'WithoutFreeSpace' nor 'WithouFreSpacExt'):"
                        + " not a ploop/parallels image; check the file name");
                return null;
            }
            long type = Integer.toUnsignedLong(b.getInt(16));
            if (type != DISK_TYPE) {
                fatal(Kind.BAD_TYPE, path + ": header type is " + type + ", expected " + DISK_TYPE
                        + ": not a ploop image, or its header is damaged");
                return null;
            }
            long sectors = Integer.toUnsignedLong(b.getInt(28));
            if (!isValidClusterSectors(sectors)) {
                fatal(Kind.BAD_CLUSTER_SIZE, path + ": cluster size " + sectors + " sectors is invalid (must be a "
                        + "power of two from " + MIN_CLUSTER_SECTORS + " to " + MAX_CLUSTER_SECTORS
                        + "): the header is damaged");
                return null;
            }
            long batEntries = Integer.toUnsignedLong(b.getInt(32));
            long batEnd = HEADER_SIZE + batEntries * BAT_ENTRY_SIZE;
            if (batEntries > MAX_BAT_ENTRIES || batEnd > fileSize) {
                fatal(Kind.BAT_PAST_EOF, path + ": the header announces " + batEntries + " BAT entries ("
                        + batEnd + " bytes of header and BAT) but the file has only " + fileSize
                        + " bytes: the file is truncated or its header is damaged; restore it from a copy");
                return null;
            }
            long firstBlock = Integer.toUnsignedLong(b.getInt(48));
            if (firstBlock % sectors != 0) {
                fatal(Kind.BAD_DATA_OFFSET, path + ": data area offset " + firstBlock + " sectors is not a multiple "
                        + "of the cluster size " + sectors + ": the header is damaged");
                return null;
            }
            if (firstBlock != 0 && firstBlock / sectors < headerClusters(batEntries, (int) sectors)) {
                fatal(Kind.BAD_DATA_OFFSET, path + ": data area offset " + firstBlock + " sectors overlaps the BAT of "
                        + batEntries + " entries: the header is damaged");
                return null;
            }
            try {
                return PloopHeader.decode(b.duplicate(), path.toString());
            } catch (ImageCorruptedException e) {
                fatal(Kind.BAD_HEADER, e.getMessage());
                return null;
            }
        }

        private String inUseProblem(PloopHeader h) {
            String value = h.inUse() == INUSE_OPEN ? "" : " (unknown value 0x" + Integer.toHexString(h.inUse()) + ")";
            return path + ": image is marked in use" + value + ": open read-write elsewhere or not closed cleanly";
        }

        private CheckReport scan(PloopHeader h, boolean conversion) throws IOException {
            // Without -d a marked image is only reported: another process may be writing it right now.
            boolean mayRepair = !opts.readOnly() && (!inUse || opts.dropInUse());
            boolean hard = mayRepair && opts.hardForce();
            String noRepairWhy = mayRepair ? null : needs("-f", "repair it");
            long cb = h.clusterBytes();
            long dataStart = h.dataStartCluster();
            long sizeClusters = PloopHeader.ceilDiv(h.sizeInSectors(), h.clusterSectors());
            long fileClusters = fileSize / cb;
            if (fileClusters > Integer.MAX_VALUE - 2) {
                return fatal(Kind.BAD_HEADER, path + ": file of " + fileSize + " bytes has more clusters than jvz "
                        + "check can track");
            }
            int[] bat;
            try {
                bat = Delta.readBat(ch, h, fileSize, path);
            } catch (ImageCorruptedException e) { // decodeHeader already checked that the BAT fits
                return fatal(Kind.BAT_PAST_EOF, e.getMessage());
            }
            int[] fixed = bat.clone();
            PloopHeader newHeader = h;

            if (h.version() == 2 && h.firstBlockOffset() == 0) {
                // QEMU's rule: only v1 ("old magic") images may leave data_off 0.
                add(Kind.BAD_DATA_OFFSET, Level.ERROR, -1, 0, path + ": data area offset is 0 in a v2 image",
                        "set to " + dataStart * h.clusterSectors() + " sectors", advice(noRepairWhy),
                        mayRepair);
                if (mayRepair) {
                    newHeader = new PloopHeader(h.version(), h.heads(), h.cylinders(), h.clusterSectors(),
                            h.batEntries(), h.sizeInSectors(), h.inUse(), dataStart * h.clusterSectors(), h.flags(),
                            h.extOffset());
                }
            }

            BitSet used = new BitSet((int) Math.max(fileClusters, dataStart));
            long maxUsed = dataStart - 1;
            long extCluster = extCluster(h, dataStart);
            if (extCluster >= 0) {
                used.set((int) extCluster); // the format extension is data no BAT entry names: keep it
                maxUsed = Math.max(maxUsed, extCluster);
            }
            boolean fatal = false;
            List<Integer> duplicates = new ArrayList<>(); // BAT indexes; their cluster is looked up again later
            for (int i = 0; i < bat.length; i++) {
                if (bat[i] == 0) {
                    continue;
                }
                long e = Integer.toUnsignedLong(bat[i]);
                long offset = h.version() == 2 ? e * cb : e * SECTOR_SIZE;
                if (i >= sizeClusters) {
                    add(Kind.ENTRY_BEYOND_SIZE, Level.ERROR, i, offset, path + ": BAT entry " + i
                            + " maps a cluster beyond the virtual size of " + sizeClusters + " clusters",
                            "entry cleared", advice(noRepairWhy), mayRepair);
                    if (mayRepair) {
                        fixed[i] = 0;
                    }
                    continue;
                }
                long c = Delta.entryToCluster(h, bat[i]);
                String problem = null;
                Kind kind = null;
                if (c < 0) {
                    kind = Kind.ENTRY_UNALIGNED;
                    problem = "BAT entry " + i + " (sector " + e + ") is not aligned to the cluster size";
                } else if (c < dataStart) {
                    kind = Kind.ENTRY_IN_HEADER;
                    problem = "BAT entry " + i + " points into the header/BAT area (file cluster " + c + ")";
                } else if ((c + 1) * cb > fileSize) {
                    kind = Kind.ENTRY_PAST_EOF;
                    problem = "BAT entry " + i + " points past the end of the file (cluster " + c + " ends at "
                            + (c + 1) * cb + ", the file at " + fileSize + ")";
                }
                if (kind != null) {
                    // ploop's "hard fix": the entry's data is lost either way, so only -F clears it.
                    add(kind, hard ? Level.ERROR : Level.FATAL, i, offset, path + ": " + problem,
                            "entry cleared (that cluster now reads from the lower delta or as zeros)",
                            needs("-F", "clear the entry (its data is lost)"), hard);
                    fatal |= !hard;
                    if (hard) {
                        fixed[i] = 0;
                    }
                    continue;
                }
                if (used.get((int) c)) {
                    duplicates.add(i);
                    continue;
                }
                used.set((int) c);
                maxUsed = Math.max(maxUsed, c);
            }

            long allocHead = maxUsed + 1;
            List<Move> moves = new ArrayList<>();
            if (!duplicates.isEmpty()) {
                Map<Long, Integer> firstUser = firstUsers(h, bat, duplicates);
                boolean repairDup = mayRepair && opts.repairDuplicates();
                long limit = h.version() == 2 ? V2_MAX_CLUSTERS : V1_MAX_SECTORS / h.clusterSectors();
                for (int i : duplicates) {
                    long c = Delta.entryToCluster(h, bat[i]);
                    long to = allocHead + moves.size();
                    boolean room = to < limit;
                    boolean fix = repairDup && room;
                    add(Kind.DUPLICATE, fix ? Level.ERROR : Level.FATAL, i, c * cb, path + ": BAT entry " + i
                            + " points at file cluster " + c + " that BAT entry " + firstUser.get(c) + " uses too",
                            "entry " + i + " now has its own copy at file cluster " + to + " (both read as before)",
                            !room ? "no room for a copy in this format; nothing was modified"
                                    : needs("-f --repair-duplicates", "give the entry its own copy"), fix);
                    if (fix) {
                        moves.add(new Move(i, c, to));
                        fixed[i] = Delta.clusterToEntry(h, to);
                    } else {
                        fatal = true;
                    }
                }
            }
            long newHead = allocHead + moves.size();

            long keptEnd = allocHead * cb;
            long leakedBytes = Math.max(0, fileSize - keptEnd);
            long leakedClusters = PloopHeader.ceilDiv(leakedBytes, cb);
            if (leakedBytes > 0) {
                String partial = fileSize % cb != 0 ? " (the file size " + fileSize + " is not a multiple of the cluster"
                        + " size " + cb + ")" : "";
                add(Kind.LEAK, Level.ERROR, -1, keptEnd, path + ": " + leakedBytes + " bytes (" + leakedClusters
                                + " cluster(s)) after the last used cluster are leaked" + partial,
                        "tail trimmed", advice(noRepairWhy), mayRepair);
            }

            if (opts.detailed()) {
                listHoles(used, dataStart, allocHead, cb);
            }

            long finalAllocated = 0;
            for (int v : fixed) {
                finalAllocated += v != 0 ? 1 : 0;
            }
            boolean wantEmpty = (mayRepair ? finalAllocated : countValid(h, bat, fileSize, dataStart)) == 0;
            int newFlags = h.flags();
            if (h.isEmptyFlag() != wantEmpty) {
                add(Kind.EMPTY_FLAG, Level.ERROR, -1, 0, path + ": the empty flag is " + (h.isEmptyFlag() ? "set" : "clear")
                        + " but the image " + (wantEmpty ? "holds no data" : "holds data"),
                        "flag fixed", advice(noRepairWhy), mayRepair);
                newFlags = wantEmpty ? newFlags | FLAG_EMPTY : newFlags & ~FLAG_EMPTY;
            }
            if (conversion) {
                add(Kind.CONVERSION, hard ? Level.ERROR : Level.FATAL, -1, 0, path + ": the flag of an interrupted "
                        + "v1/v2 format conversion is set", "flag cleared",
                        needs("-F", "clear the flag (do so only if every other check passes)"), hard);
                fatal |= !hard;
                if (hard) {
                    newFlags &= ~FLAG_CONVERSION;
                }
            }
            if (mayRepair) {
                newHeader = newHeader.withFlags(newFlags);
            }
            if (inUse) {
                String advice = "if no other process has it open, run 'jvz ploop check -d " + path
                        + "' to repair it and clear the mark";
                add(Kind.IN_USE, Level.ERROR, -1, 0, inUseProblem(h), "mark cleared",
                        mayRepair ? "mark kept because of the fatal problem(s) reported"
                                : (opts.readOnly() ? "read-only check; " : "nothing was repaired; ") + advice,
                        mayRepair);
                if (mayRepair) {
                    newHeader = newHeader.withInUse(INUSE_CLOSED);
                }
            }

            boolean applied = false;
            if (mayRepair && !fatal) {
                applied = apply(h, bat, fixed, moves, newHead * cb, newHeader);
            }
            long sizeAfter = ch.size();
            int[] statsBat = applied ? fixed : bat;
            long[] stats = statistics(h, statsBat, sizeAfter);
            long end = (applied ? newHead : allocHead) * cb;
            return report(applied, stats[0], stats[1], leakedClusters, leakedBytes, end, sizeAfter);
        }

        /** What to run to get a repair that needs {@code flags}, given why this check could not do it. */
        private String needs(String flags, String what) {
            String cmd = "'jvz ploop check " + (inUse ? "-d " : "") + flags + " " + path + "'";
            if (opts.readOnly()) {
                return "read-only check, nothing was modified; " + cmd + " would " + what;
            }
            if (inUse && !opts.dropInUse()) {
                return "nothing was modified because the image is marked in use; once nothing else has it open, "
                        + cmd + " would " + what;
            }
            return "nothing was modified; run " + cmd + " to " + what;
        }

        /** Why an ERROR finding stayed unrepaired: no permission to write, or a fatal problem elsewhere. */
        private static String advice(String noRepairWhy) {
            return noRepairWhy != null ? noRepairWhy : "not repaired because of the fatal problem(s) reported";
        }

        /** The format extension cluster, if the header names one inside the data area of the file; else -1. */
        private long extCluster(PloopHeader h, long dataStart) {
            long ext = h.extOffset();
            if (ext == 0 || ext % h.clusterSectors() != 0) {
                return -1;
            }
            long c = ext / h.clusterSectors();
            // Compare cluster counts: the header's u64 offset times the cluster size could overflow.
            return c >= dataStart && c < fileSize / h.clusterBytes() ? c : -1;
        }

        /** For each duplicated file cluster, the first BAT entry that uses it (the one that keeps it). */
        private static Map<Long, Integer> firstUsers(PloopHeader h, int[] bat, List<Integer> duplicates) {
            Map<Long, Integer> first = new HashMap<>();
            for (int d : duplicates) {
                first.put(Delta.entryToCluster(h, bat[d]), -1);
            }
            for (int i = 0; i < bat.length; i++) {
                if (bat[i] != 0) {
                    Long c = Delta.entryToCluster(h, bat[i]);
                    if (first.get(c) != null && first.get(c) < 0) {
                        first.put(c, i);
                    }
                }
            }
            return first;
        }

        private static long countValid(PloopHeader h, int[] bat, long fileSize, long dataStart) {
            long n = 0;
            for (int v : bat) {
                if (v != 0) {
                    long c = Delta.entryToCluster(h, v);
                    n += c >= dataStart && (c + 1) * h.clusterBytes() <= fileSize ? 1 : 0;
                }
            }
            return n;
        }

        private void listHoles(BitSet used, long dataStart, long allocHead, long cb) {
            // Every used bit is below the file's cluster count, which scan() bounded to an int.
            int end = (int) Math.min(allocHead, Integer.MAX_VALUE);
            int c = (int) Math.min(dataStart, end);
            int listed = 0;
            long total = 0;
            while (c < end) {
                int start = used.nextClearBit(c);
                if (start >= end) {
                    break;
                }
                int next = used.nextSetBit(start);
                int stop = next < 0 || next > end ? end : next;
                total += stop - start;
                if (listed < MAX_HOLE_FINDINGS) {
                    add(Kind.HOLE, Level.INFO, -1, start * cb, path + ": hole of " + (stop - start)
                            + " cluster(s) at file cluster " + start + " (no BAT entry uses it)", null, null, false);
                    listed++;
                }
                c = stop;
            }
            if (listed == MAX_HOLE_FINDINGS) {
                add(Kind.HOLE, Level.INFO, -1, -1, path + ": " + total + " hole cluster(s) in all", null, null, false);
            }
        }

        /**
         * qemu-img's statistics over a BAT: allocated = entries whose whole cluster lies in the file;
         * fragmented = such entries not directly after the previous allocated entry's cluster.
         */
        private static long[] statistics(PloopHeader h, int[] bat, long fileSize) {
            long cb = h.clusterBytes();
            long allocated = 0;
            long fragmented = 0;
            long prev = -1;
            for (int v : bat) {
                long off = v == 0 ? -1
                        : h.version() == 2 ? Integer.toUnsignedLong(v) * cb : Integer.toUnsignedLong(v) * SECTOR_SIZE;
                if (off < 0 || off + cb > fileSize) {
                    prev = -1;
                    continue;
                }
                if (prev >= 0 && prev + cb != off) {
                    fragmented++;
                }
                prev = off;
                allocated++;
            }
            return new long[] {allocated, fragmented};
        }

        /** Applies the plan in crash-safe order (see the class comment); returns whether anything was written. */
        private boolean apply(PloopHeader h, int[] bat, int[] fixed, List<Move> moves, long newEnd,
                PloopHeader newHeader) throws IOException {
            boolean wrote = false;
            long cb = h.clusterBytes();
            if (!moves.isEmpty()) {
                ByteBuffer buf = ByteBuffer.allocate((int) cb);
                for (Move m : moves) {
                    buf.clear();
                    RawLayer.readFully(ch, m.from() * cb, buf, path);
                    buf.flip();
                    writeFully(buf, m.to() * cb);
                }
                sync(false);
                wrote = true;
            }
            boolean batChanged = false;
            ByteBuffer entry = ByteBuffer.allocate(BAT_ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < bat.length; i++) {
                if (fixed[i] != bat[i]) {
                    entry.clear();
                    entry.putInt(fixed[i]).flip();
                    writeFully(entry, HEADER_SIZE + (long) i * BAT_ENTRY_SIZE);
                    batChanged = true;
                }
            }
            if (batChanged) {
                sync(false);
                wrote = true;
            }
            if (ch.size() > newEnd) {
                ch.truncate(newEnd);
                if (listener != null) {
                    listener.truncated(newEnd);
                }
                sync(true);
                wrote = true;
            }
            if (!newHeader.equals(h)) {
                writeFully(newHeader.encode(), 0);
                sync(true);
                wrote = true;
            }
            return wrote;
        }

        private void writeFully(ByteBuffer b, long pos) throws IOException {
            if (listener != null) {
                byte[] copy = new byte[b.remaining()];
                b.duplicate().get(copy);
                listener.wrote(pos, copy);
            }
            while (b.hasRemaining()) {
                pos += ch.write(b, pos);
            }
        }

        private void sync(boolean metadata) throws IOException {
            ch.force(metadata);
            if (listener != null) {
                listener.synced();
            }
        }

        private CheckReport report(boolean applied, long allocated, long fragmented, long leakedClusters,
                long leakedBytes, long end, long sizeAfter) {
            List<Finding> findings = new ArrayList<>(planned.size());
            boolean fatal = false;
            boolean remain = false;
            boolean repaired = false;
            for (Planned p : planned) {
                Finding f = p.finish(applied);
                findings.add(f);
                fatal |= f.level() == Level.FATAL;
                remain |= f.level() == Level.ERROR && !f.repaired();
                repaired |= f.repaired();
            }
            Severity s = fatal ? Severity.FATAL : remain ? Severity.ERRORS_REMAIN : repaired ? Severity.FIXED
                    : Severity.CLEAN;
            return new CheckReport(path, version, clusterBytes, fileSize, sizeAfter, findings, allocated, fragmented,
                    leakedClusters, leakedBytes, end, applied, s);
        }
    }
}
