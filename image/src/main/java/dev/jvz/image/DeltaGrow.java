package dev.jvz.image;

import static dev.jvz.image.PloopFormat.*;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Grows a closed delta file to a larger virtual size, crash-safely (ploop lib/ploop.c, offline grow).
 *
 * <p>A bigger BAT may need more header clusters than the data area leaves free. Data clusters in the
 * way are first relocated to the end of the file, each one as: copy the cluster, fsync, repoint its
 * BAT entry, fsync. Only then is the area for the new BAT zeroed (fsync) and finally the header is
 * rewritten with the new BAT size, virtual size and data offset (one 64-byte write inside the first
 * sector, so it lands whole or not at all). Until that last write the file is a valid image of the old
 * size holding the same data; after it, a valid image of the new size. inUse is set for the duration,
 * so an interrupted grow is reported by the next r/w open and cleaned by check; read-only opens work.
 *
 * <p>Thread-safety: the caller holds the disk lock; nothing else may have the file open r/w.
 */
final class DeltaGrow {
    private DeltaGrow() {}

    /** Copy chunk for relocations: one cluster up to 1 MiB at a time keeps memory flat for 64 MiB clusters. */
    private static final int COPY_CHUNK = 1 << 20;

    /**
     * Grows {@code file} to {@code newSizeSectors} (the caller rounds it as it wishes).
     *
     * @throws ImageException if the image is in use, the new size is smaller, or it exceeds the format's limits
     */
    static void grow(Path file, long newSizeSectors, StepHook hook) throws IOException, ImageException {
        PloopHeader h;
        try (Delta d = Delta.open(file, false)) { // validates header and every BAT entry
            h = d.header();
        }
        if (h.isInUse()) {
            throw new ImageInUseException(file);
        }
        if (newSizeSectors < h.sizeInSectors()) {
            throw new ImageException(file + ": cannot shrink from " + h.sizeInSectors() + " to " + newSizeSectors
                    + " sectors; shrinking is not supported (only growing)");
        }
        int cs = h.clusterSectors();
        long newBat = Math.ceilDiv(newSizeSectors, cs);
        if (h.version() == 1 && newSizeSectors > V1_MAX_SECTORS) {
            throw new ImageException(file + ": a v1 image holds at most " + V1_MAX_SECTORS + " sectors (2 TiB), not "
                    + newSizeSectors + "; convert it to v2 first");
        }
        if (newBat > MAX_BAT_ENTRIES) {
            throw new ImageException(file + ": " + newSizeSectors + " sectors need " + newBat
                    + " BAT entries, more than the supported " + MAX_BAT_ENTRIES);
        }
        if (newSizeSectors == h.sizeInSectors() && newBat == h.batEntries()) {
            return;
        }
        long cb = h.clusterBytes();
        long oldStart = h.dataStartCluster();
        long newStart = Math.max(oldStart, PloopFormat.headerClusters(newBat, cs));
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            int[] bat = Delta.readBat(ch, h, ch.size(), file);
            long next = newStart;
            for (int raw : bat) {
                if (raw != 0) {
                    next = Math.max(next, Delta.entryToCluster(h, raw) + 1);
                }
            }
            long extCluster = h.extOffset() / cs;
            boolean hasExt = h.extOffset() != 0 && h.extOffset() % cs == 0;
            if (hasExt) {
                next = Math.max(next, extCluster + 1);
            }
            // Relocated clusters go past everything in use; their BAT entries must still fit a u32
            // (v1: sector offsets, v2: cluster indexes).
            long maxCluster = h.version() == 2 ? V2_MAX_CLUSTERS : V1_MAX_SECTORS / cs;
            if (next + (newStart - oldStart) + 1 > maxCluster) {
                throw new ImageException(file + ": no room to move the data clusters out of the bigger BAT (the file "
                        + "would pass the format's limit of " + maxCluster + " clusters)");
            }
            writeHeader(ch, h.withInUse(INUSE_OPEN));
            ch.force(false);
            // The header to put back if a step fails: the old one, minus an extension we may have overwritten.
            PloopHeader restore = hasExt && extCluster >= oldStart && extCluster < newStart
                    ? new PloopHeader(h.version(), h.heads(), h.cylinders(), cs, h.batEntries(), h.sizeInSectors(),
                            INUSE_CLOSED, h.firstBlockOffset(), h.flags(), 0)
                    : h;
            try {
                hook.reached("grow: marked in use");

                for (int v = 0; v < bat.length; v++) {
                    if (bat[v] == 0) {
                        continue;
                    }
                    long c = Delta.entryToCluster(h, bat[v]);
                    if (c >= oldStart && c < newStart) {
                        long dst = next++;
                        copyCluster(ch, c * cb, dst * cb, cb, file);
                        ch.force(false);
                        hook.reached("grow: data cluster copied");
                        bat[v] = Delta.clusterToEntry(h, dst);
                        ByteBuffer e = ByteBuffer.allocate(BAT_ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN).putInt(0, bat[v]);
                        writeFully(ch, e, HEADER_SIZE + (long) v * BAT_ENTRY_SIZE);
                        ch.force(false);
                        hook.reached("grow: BAT entry repointed");
                    }
                }
                long newExtOffset = h.extOffset();
                if (hasExt && extCluster >= oldStart && extCluster < newStart) {
                    // The extension (CBT) is only trusted while inUse is "closed with ext"; move it with the data.
                    long dst = next++;
                    copyCluster(ch, extCluster * cb, dst * cb, cb, file);
                    ch.force(false);
                    newExtOffset = dst * cs;
                }

                // The new BAT tail and any relocated clusters' old places must read as "unallocated" (zeros).
                long zeroFrom = HEADER_SIZE + h.batEntries() * BAT_ENTRY_SIZE;
                long zeroTo = newStart * cb;
                long fileSize = ch.size();
                zero(ch, zeroFrom, Math.min(zeroTo, fileSize));
                if (fileSize < zeroTo) {
                    writeFully(ch, ByteBuffer.allocate(1), zeroTo - 1);
                }
                ch.force(false);
                hook.reached("grow: new BAT area zeroed");

                PloopHeader nh = h.withSize(newBat, newSizeSectors, newStart * cs);
                nh = new PloopHeader(nh.version(), nh.heads(), nh.cylinders(), nh.clusterSectors(), nh.batEntries(),
                        nh.sizeInSectors(), h.inUse(), nh.firstBlockOffset(), nh.flags(), newExtOffset);
                writeHeader(ch, nh);
                ch.force(false);
            } catch (IOException | RuntimeException e) {
                // Every step above leaves a valid old-size image (relocated entries already repointed),
                // so after an error the old header, clean again, is the truth. A crash skips this and
                // leaves inUse set: check clears it.
                try {
                    writeHeader(ch, restore);
                    ch.force(false);
                } catch (IOException r) {
                    e.addSuppressed(r);
                }
                throw e;
            }
            hook.reached("grow: header written");
        }
    }

    private static void copyCluster(FileChannel ch, long from, long to, long cb, Path file) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(cb, COPY_CHUNK));
        for (long done = 0; done < cb; done += buf.capacity()) {
            buf.clear();
            RawLayer.readFully(ch, from + done, buf, file);
            buf.flip();
            writeFully(ch, buf, to + done);
        }
    }

    private static void zero(FileChannel ch, long from, long to) throws IOException {
        ByteBuffer z = ByteBuffer.allocate(COPY_CHUNK);
        for (long pos = from; pos < to; ) {
            z.clear().limit((int) Math.min(COPY_CHUNK, to - pos));
            writeFully(ch, z, pos);
            pos += z.limit();
        }
    }

    private static void writeHeader(FileChannel ch, PloopHeader h) throws IOException {
        writeFully(ch, h.encode(), 0);
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            pos += ch.write(b, pos);
        }
    }
}
