package dev.jvz.image;

import java.nio.charset.StandardCharsets;

/**
 * Numbers of the ploop image format ("parallels" in QEMU), each with the reason it is what it is.
 *
 * <p>Sources: OpenVZ ploop {@code include/ploop1_image.h}, QEMU {@code docs/interop/parallels.txt};
 * summarised in the project's PLOOP-FORMAT.md, section 1.
 */
public final class PloopFormat {
    private PloopFormat() {}

    /** The unit of every offset in the header and of v1 BAT entries. */
    public static final int SECTOR_SIZE = 512;
    /** log2(SECTOR_SIZE), for shifts. */
    public static final int SECTOR_SHIFT = 9;

    /** The fixed header: 16 signature + 9 u32/u64 fields + u64 extOffset = 64 bytes. */
    public static final int HEADER_SIZE = 64;
    /** One BAT entry is a little-endian u32. */
    public static final int BAT_ENTRY_SIZE = 4;

    /** v1 signature: BAT entries are sector offsets, virtual size limited to 2^32-1 sectors. */
    public static final byte[] SIGNATURE_V1 = "WithoutFreeSpace".getBytes(StandardCharsets.US_ASCII);
    /** v2 signature: BAT entries are cluster indexes, sizeInSectors is a full u64. */
    public static final byte[] SIGNATURE_V2 = "WithouFreSpacExt".getBytes(StandardCharsets.US_ASCII);
    /** Length of either signature; no NUL terminator is stored. */
    public static final int SIGNATURE_LENGTH = 16;

    /** The header's "type" field (QEMU calls it version); every valid image has 2. */
    public static final int DISK_TYPE = 2;

    /** inUse: image is open read-write, or was not closed cleanly ("Ynot" read as ASCII). */
    public static final int INUSE_OPEN = 0x746F6E59;
    /** inUse: closed cleanly. */
    public static final int INUSE_CLOSED = 0;
    /** inUse: closed cleanly, and a format extension cluster is valid ("v2.1"). */
    public static final int INUSE_CLOSED_WITH_EXT = 0x312E3276;

    /** flags: no data cluster written yet (ploop sets it on creation). */
    public static final int FLAG_EMPTY = 0x1;
    /** flags: a v1 to v2 conversion was interrupted. */
    public static final int FLAG_CONVERSION = 0x2;

    /** Smallest cluster ploop accepts: 64 sectors = 32 KiB. */
    public static final int MIN_CLUSTER_SECTORS = 64;
    /** Largest cluster ploop accepts: 131072 sectors = 64 MiB. */
    public static final int MAX_CLUSTER_SECTORS = 131072;
    /** ploop's default cluster: 2048 sectors = 1 MiB. */
    public static final int DEFAULT_CLUSTER_SECTORS = 2048;

    /** v1 stores the virtual size in 32 bits of sectors (~2 TiB). */
    public static final long V1_MAX_SECTORS = 0xFFFF_FFFFL;
    /** v2 BAT entries are u32 cluster indexes, so no more clusters than that can exist. */
    public static final long V2_MAX_CLUSTERS = 0xFFFF_FFFFL;
    /**
     * jvz keeps the BAT in one Java array, so it bounds batEntries to what an array holds; with
     * 1 MiB clusters that is 2 PiB of virtual disk, far past any real container.
     */
    public static final long MAX_BAT_ENTRIES = Integer.MAX_VALUE - 8;

    /** A stack holds at most this many images (ploop's PLOOP_MAX_LEVELS). */
    public static final int MAX_DELTAS = 128;

    /** Format extension magic (first u64 of the extension cluster). */
    public static final long EXT_MAGIC = 0xAB234CEF23DCEA87L;
    /** Extension section: dirty bitmap (ploop's CBT). */
    public static final long EXT_DIRTY_BITMAP_MAGIC = 0x20385FAE252CB34AL;

    /** Header geometry that QEMU writes: 16 heads, 32 sectors per track; the values carry no meaning. */
    public static final int GEOMETRY_HEADS = 16;
    /** See {@link #GEOMETRY_HEADS}. */
    public static final int GEOMETRY_SECTORS_PER_TRACK = 32;

    /** True when {@code sectors} is a valid cluster size: a power of two from 32 KiB to 64 MiB. */
    public static boolean isValidClusterSectors(long sectors) {
        return sectors >= MIN_CLUSTER_SECTORS && sectors <= MAX_CLUSTER_SECTORS && Long.bitCount(sectors) == 1;
    }

    /** Header clusters needed for a BAT of {@code batEntries}: header + BAT rounded up to whole clusters. */
    public static long headerClusters(long batEntries, int clusterSectors) {
        long clusterBytes = (long) clusterSectors * SECTOR_SIZE;
        long bytes = HEADER_SIZE + batEntries * BAT_ENTRY_SIZE;
        return (bytes + clusterBytes - 1) / clusterBytes;
    }
}
