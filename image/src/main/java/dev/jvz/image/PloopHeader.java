package dev.jvz.image;

import static dev.jvz.image.PloopFormat.*;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The 64-byte header of a ploop delta, immutable and valid by construction (PLOOP-FORMAT.md, section 1).
 *
 * <p>The constructor accepts only headers a reader can trust for addressing: a known signature, type
 * 2, a valid cluster size, a BAT that fits the limits, and a data area aligned to whole clusters.
 * Mutable state (inUse, flags) is changed by making a new record with the {@code with*} methods.
 *
 * @param version 1 or 2 (selects the signature and the meaning of BAT entries)
 * @param heads CHS geometry; carries no meaning
 * @param cylinders CHS geometry; carries no meaning
 * @param clusterSectors cluster size in sectors
 * @param batEntries number of BAT entries = virtual size in clusters
 * @param sizeInSectors virtual size in sectors
 * @param inUse {@link PloopFormat#INUSE_OPEN}, {@link PloopFormat#INUSE_CLOSED} or {@link PloopFormat#INUSE_CLOSED_WITH_EXT}
 *     (any other value is kept as read; it is treated as "in use")
 * @param firstBlockOffset start of the data area in sectors (0 in old images means "right after the BAT")
 * @param flags {@link PloopFormat#FLAG_EMPTY}, {@link PloopFormat#FLAG_CONVERSION}
 * @param extOffset format extension cluster in sectors, 0 for none
 */
public record PloopHeader(
        int version,
        int heads,
        int cylinders,
        int clusterSectors,
        long batEntries,
        long sizeInSectors,
        int inUse,
        long firstBlockOffset,
        int flags,
        long extOffset) {

    public PloopHeader {
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("version: " + version + " (expected: 1 or 2)");
        }
        if (!isValidClusterSectors(clusterSectors)) {
            throw new IllegalArgumentException("clusterSectors: " + clusterSectors
                    + " (expected: a power of two from " + MIN_CLUSTER_SECTORS + " to " + MAX_CLUSTER_SECTORS + ")");
        }
        if (batEntries < 0 || batEntries > MAX_BAT_ENTRIES) {
            throw new IllegalArgumentException("batEntries: " + batEntries + " (expected: 0~" + MAX_BAT_ENTRIES + ")");
        }
        if (sizeInSectors < 0 || (version == 1 && sizeInSectors > V1_MAX_SECTORS)) {
            throw new IllegalArgumentException("sizeInSectors: " + sizeInSectors + " (expected: 0~"
                    + (version == 1 ? V1_MAX_SECTORS : Long.MAX_VALUE) + " for v" + version + ")");
        }
        if (sizeInSectors > batEntries * clusterSectors) {
            throw new IllegalArgumentException("sizeInSectors " + sizeInSectors + " exceeds batEntries " + batEntries
                    + " x clusterSectors " + clusterSectors);
        }
        if (firstBlockOffset < 0 || firstBlockOffset % clusterSectors != 0) {
            throw new IllegalArgumentException("firstBlockOffset: " + firstBlockOffset
                    + " (expected: a multiple of the cluster size " + clusterSectors + ")");
        }
        if (firstBlockOffset != 0 && firstBlockOffset / clusterSectors < PloopFormat.headerClusters(batEntries, clusterSectors)) {
            throw new IllegalArgumentException("firstBlockOffset " + firstBlockOffset + " lies inside the BAT ("
                    + PloopFormat.headerClusters(batEntries, clusterSectors) + " header clusters)");
        }
        if (extOffset < 0) {
            throw new IllegalArgumentException("extOffset: " + extOffset);
        }
    }

    /** A fresh header as jvz creates it: clean, empty, the data area right after the BAT. */
    public static PloopHeader create(int version, long sizeBytes, int clusterSectors) {
        if (!isValidClusterSectors(clusterSectors)) {
            throw new IllegalArgumentException("cluster size " + clusterSectors + " sectors is not a power of two from "
                    + MIN_CLUSTER_SECTORS + " to " + MAX_CLUSTER_SECTORS);
        }
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("size must be positive: " + sizeBytes);
        }
        long clusterBytes = (long) clusterSectors * SECTOR_SIZE;
        long clusters = ceilDiv(sizeBytes, clusterBytes);
        long sectors = clusters * clusterSectors; // ploop rounds the size up to whole clusters
        long headerClusters = PloopFormat.headerClusters(clusters, clusterSectors);
        long cylinders = Math.min(sectors / GEOMETRY_HEADS / GEOMETRY_SECTORS_PER_TRACK, 0xFFFF_FFFFL);
        return new PloopHeader(version, GEOMETRY_HEADS, (int) cylinders, clusterSectors, clusters, sectors,
                INUSE_CLOSED, headerClusters * clusterSectors, FLAG_EMPTY, 0);
    }

    /**
     * Decodes a header, failing with a message that names the bad field.
     *
     * @param buf at least {@link PloopFormat#HEADER_SIZE} bytes from file offset 0
     * @param fileName used in messages only
     */
    public static PloopHeader decode(ByteBuffer buf, String fileName) throws ImageCorruptedException {
        if (buf.remaining() < HEADER_SIZE) {
            throw new ImageCorruptedException(fileName + ": truncated header (" + buf.remaining() + " of "
                    + HEADER_SIZE + " bytes); this is not a ploop image");
        }
        ByteBuffer b = buf.slice().order(ByteOrder.LITTLE_ENDIAN);
        byte[] sig = new byte[SIGNATURE_LENGTH];
        b.get(0, sig);
        int version;
        if (Arrays.equals(sig, SIGNATURE_V1)) {
            version = 1;
        } else if (Arrays.equals(sig, SIGNATURE_V2)) {
            version = 2;
        } else {
            throw new ImageCorruptedException(fileName + ": wrong signature (not a ploop/parallels image)");
        }
        int type = b.getInt(16);
        if (type != DISK_TYPE) {
            throw new ImageCorruptedException(fileName + ": header type is " + Integer.toUnsignedString(type)
                    + ", expected " + DISK_TYPE + "; this is not a ploop image");
        }
        int heads = b.getInt(20);
        int cylinders = b.getInt(24);
        long clusterSectors = Integer.toUnsignedLong(b.getInt(28));
        if (!isValidClusterSectors(clusterSectors)) {
            throw new ImageCorruptedException(fileName + ": cluster size " + clusterSectors
                    + " sectors is invalid (must be a power of two from " + MIN_CLUSTER_SECTORS + " to "
                    + MAX_CLUSTER_SECTORS + "); the header is damaged");
        }
        long batEntries = Integer.toUnsignedLong(b.getInt(32));
        if (batEntries > MAX_BAT_ENTRIES) {
            throw new ImageCorruptedException(fileName + ": BAT of " + batEntries + " entries exceeds the supported "
                    + MAX_BAT_ENTRIES + "; the header is damaged");
        }
        long size = version == 1 ? Integer.toUnsignedLong(b.getInt(36)) : b.getLong(36);
        int inUse = b.getInt(44);
        long firstBlock = Integer.toUnsignedLong(b.getInt(48));
        int flags = b.getInt(52);
        long ext = b.getLong(56);
        if (size < 0 || size > batEntries * clusterSectors) {
            throw new ImageCorruptedException(fileName + ": virtual size " + size + " sectors does not fit "
                    + batEntries + " BAT entries of " + clusterSectors + " sectors; the header is damaged");
        }
        if (firstBlock % clusterSectors != 0) {
            throw new ImageCorruptedException(fileName + ": data area offset " + firstBlock
                    + " sectors is not aligned to the cluster size " + clusterSectors + "; the header is damaged");
        }
        if (firstBlock != 0 && firstBlock / clusterSectors < PloopFormat.headerClusters(batEntries, (int) clusterSectors)) {
            throw new ImageCorruptedException(fileName + ": data area offset " + firstBlock
                    + " sectors overlaps the BAT of " + batEntries + " entries; the header is damaged");
        }
        if (ext < 0) {
            throw new ImageCorruptedException(fileName + ": format extension offset " + ext + " is negative");
        }
        return new PloopHeader(version, heads, cylinders, (int) clusterSectors, batEntries, size, inUse, firstBlock,
                flags, ext);
    }

    /** The 64 header bytes, little-endian. */
    public ByteBuffer encode() {
        ByteBuffer b = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        b.put(version == 1 ? SIGNATURE_V1 : SIGNATURE_V2);
        b.putInt(DISK_TYPE);
        b.putInt(heads);
        b.putInt(cylinders);
        b.putInt(clusterSectors);
        b.putInt((int) batEntries);
        if (version == 1) {
            b.putInt((int) sizeInSectors);
            b.putInt(0);
        } else {
            b.putLong(sizeInSectors);
        }
        b.putInt(inUse);
        b.putInt((int) firstBlockOffset);
        b.putInt(flags);
        b.putLong(extOffset);
        return b.flip();
    }

    public long clusterBytes() {
        return (long) clusterSectors * SECTOR_SIZE;
    }

    public long sizeBytes() {
        return sizeInSectors * SECTOR_SIZE;
    }

    /** Clusters taken by header + BAT: the data area never starts before this. */
    public long headerClusters() {
        return PloopFormat.headerClusters(batEntries, clusterSectors);
    }

    /** Start of the data area in clusters (old images may store 0: then right after the BAT). */
    public long dataStartCluster() {
        return firstBlockOffset == 0 ? headerClusters() : firstBlockOffset / clusterSectors;
    }

    public boolean isInUse() {
        return inUse != INUSE_CLOSED && inUse != INUSE_CLOSED_WITH_EXT;
    }

    public boolean isEmptyFlag() {
        return (flags & FLAG_EMPTY) != 0;
    }

    public PloopHeader withInUse(int newInUse) {
        return new PloopHeader(version, heads, cylinders, clusterSectors, batEntries, sizeInSectors, newInUse,
                firstBlockOffset, flags, extOffset);
    }

    public PloopHeader withFlags(int newFlags) {
        return new PloopHeader(version, heads, cylinders, clusterSectors, batEntries, sizeInSectors, inUse,
                firstBlockOffset, newFlags, extOffset);
    }

    public PloopHeader withExtOffset(long newExtOffset) {
        return new PloopHeader(version, heads, cylinders, clusterSectors, batEntries, sizeInSectors, inUse,
                firstBlockOffset, flags, newExtOffset);
    }

    /** The same image grown (or re-laid out) to a new BAT size, virtual size and data offset. */
    public PloopHeader withSize(long newBatEntries, long newSizeInSectors, long newFirstBlockOffset) {
        long cyl = Math.min(newSizeInSectors / GEOMETRY_HEADS / GEOMETRY_SECTORS_PER_TRACK, 0xFFFF_FFFFL);
        return new PloopHeader(version, heads, (int) cyl, clusterSectors, newBatEntries, newSizeInSectors, inUse,
                newFirstBlockOffset, flags, extOffset);
    }

    static long ceilDiv(long a, long b) {
        return (a + b - 1) / b;
    }
}
