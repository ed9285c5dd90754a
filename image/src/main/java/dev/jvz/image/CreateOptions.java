package dev.jvz.image;

/**
 * How to create a delta.
 *
 * @param sizeBytes virtual size; rounded up to whole clusters as ploop does
 * @param clusterSectors cluster size in sectors (ploop's {@code -b}); default 2048 = 1 MiB
 * @param version format version, 1 or 2 (ploop's {@code -v}); default 2
 */
public record CreateOptions(long sizeBytes, int clusterSectors, int version) {
    public CreateOptions {
        if (sizeBytes <= 0) {
            throw new IllegalArgumentException("size must be positive: " + sizeBytes);
        }
        if (!PloopFormat.isValidClusterSectors(clusterSectors)) {
            throw new IllegalArgumentException("cluster size of " + clusterSectors + " sectors is invalid: it must be a "
                    + "power of two from " + PloopFormat.MIN_CLUSTER_SECTORS + " (32 KiB) to "
                    + PloopFormat.MAX_CLUSTER_SECTORS + " (64 MiB)");
        }
        if (version != 1 && version != 2) {
            throw new IllegalArgumentException("format version must be 1 or 2, not " + version);
        }
        if (version == 1 && Math.ceilDiv(sizeBytes, PloopFormat.SECTOR_SIZE) > PloopFormat.V1_MAX_SECTORS) {
            throw new IllegalArgumentException("a v1 image holds at most 2 TiB; use -v 2");
        }
        long clusters = Math.ceilDiv(sizeBytes, (long) clusterSectors * PloopFormat.SECTOR_SIZE);
        if (clusters > PloopFormat.MAX_BAT_ENTRIES) {
            throw new IllegalArgumentException("size " + sizeBytes + " needs " + clusters
                    + " clusters, more than the supported " + PloopFormat.MAX_BAT_ENTRIES + "; use a larger cluster size");
        }
    }

    public static CreateOptions of(long sizeBytes) {
        return new CreateOptions(sizeBytes, PloopFormat.DEFAULT_CLUSTER_SECTORS, 2);
    }

    public PloopHeader header() {
        return PloopHeader.create(version, sizeBytes, clusterSectors);
    }
}
