package dev.jvz.cli.ploop;

import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.PloopHeader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code jvz ploop info} reports about a disk: the stack's geometry and one {@link DeltaInfo}
 * per delta, base first. Printed as JSON with snake_case names (see {@link InfoCommand}).
 *
 * <p>Immutable, so thread-safe; {@link #read} opens the files read-only and closes them.
 *
 * @param virtualSize size of the virtual disk in bytes
 * @param clusterSize cluster size in bytes
 * @param clusterSectors cluster size in 512-byte sectors (ploop's block size)
 * @param version format version, 1 or 2
 * @param clusters number of virtual clusters
 * @param allocatedClusters virtual clusters that some delta holds (the rest read as zeros)
 * @param deltas the files of the disk, base first
 */
record DiskInfo(long virtualSize, long clusterSize, int clusterSectors, int version, long clusters,
        long allocatedClusters, List<DeltaInfo> deltas) {

    DiskInfo {
        deltas = List.copyOf(deltas);
    }

    /**
     * One file of the disk.
     *
     * @param file the path as given (for a descriptor: resolved against its directory)
     * @param format {@code ploop} for a delta, {@code raw} for a raw ("Plain") base
     * @param version format version of this delta; 0 for a raw file
     * @param virtualSize virtual size in this delta's header; a raw file's size
     * @param fileSize size of the file in bytes
     * @param allocatedClusters BAT entries in use; every cluster of a raw file
     * @param allocatedBytes allocated clusters times the cluster size
     * @param inUse the inUse mark is set (open read-write elsewhere, or not closed cleanly)
     * @param flags header flags by name: {@code empty}, {@code conversion_in_progress}, or {@code 0x...}
     */
    record DeltaInfo(String file, String format, int version, long virtualSize, long fileSize,
            long allocatedClusters, long allocatedBytes, boolean inUse, List<String> flags) {
        DeltaInfo {
            flags = List.copyOf(flags);
        }
    }

    /** Reads the headers and BATs of {@code deltas} (base first, all ploop deltas), read-only. */
    static DiskInfo read(List<Path> deltas) throws IOException, ImageException {
        return readChain(deltas.stream().map(p -> new ImageInput.Layer(p, false)).toList());
    }

    /** Reads a disk's files (base first; the base may be raw), read-only. */
    static DiskInfo readChain(List<ImageInput.Layer> chain) throws IOException, ImageException {
        List<DeltaInfo> infos = new ArrayList<>(chain.size());
        PloopHeader topHeader = null;
        long allocated = 0;
        List<Path> deltas = new ArrayList<>();
        for (ImageInput.Layer l : chain) {
            if (l.raw()) {
                infos.add(null); // filled in below, once a delta tells the cluster size
                continue;
            }
            Path p = l.file();
            deltas.add(p);
            try (Image one = Image.open(p, false)) {
                PloopHeader h = one.topHeader();
                long n = countAllocated(one);
                infos.add(new DeltaInfo(p.toString(), "ploop", h.version(), one.size(), Files.size(p), n,
                        n * one.clusterBytes(), h.isInUse(), flagNames(h.flags())));
                topHeader = h;
                allocated = n;
            }
        }
        if (topHeader == null) {
            throw new ImageException(chain.getFirst().file() + " is a raw disk without a ploop delta on top; "
                    + "there is no ploop image to describe");
        }
        long clusters = Math.ceilDiv(topHeader.sizeBytes(), topHeader.clusterBytes());
        boolean rawBase = false;
        for (int i = 0; i < chain.size(); i++) {
            if (chain.get(i).raw()) {
                rawBase = true;
                Path p = chain.get(i).file();
                long size = Files.size(p);
                long n = Math.ceilDiv(size, topHeader.clusterBytes());
                infos.set(i, new DeltaInfo(p.toString(), "raw", 0, size, size, n, size, false, List.of()));
            }
        }
        if (rawBase) {
            allocated = clusters; // a raw base holds every cluster of the disk
        } else if (deltas.size() > 1) {
            // A stack: opening it checks that the deltas agree, and a cluster counts once whichever
            // delta holds it.
            try (Image stack = Image.openStack(deltas, false)) {
                allocated = countAllocated(stack);
            }
        }
        return new DiskInfo(topHeader.sizeBytes(), topHeader.clusterBytes(), topHeader.clusterSectors(),
                topHeader.version(), clusters, allocated, infos);
    }

    private static long countAllocated(Image img) {
        long n = 0;
        long clusters = img.clusters();
        for (long c = 0; c < clusters; c++) {
            if (img.layerOf(c) >= 0) {
                n++;
            }
        }
        return n;
    }

    static List<String> flagNames(int flags) {
        List<String> names = new ArrayList<>();
        if ((flags & PloopFormat.FLAG_EMPTY) != 0) {
            names.add("empty");
        }
        if ((flags & PloopFormat.FLAG_CONVERSION) != 0) {
            names.add("conversion_in_progress");
        }
        int unknown = flags & ~(PloopFormat.FLAG_EMPTY | PloopFormat.FLAG_CONVERSION);
        if (unknown != 0) {
            names.add(String.format("0x%x", unknown));
        }
        return names;
    }
}
