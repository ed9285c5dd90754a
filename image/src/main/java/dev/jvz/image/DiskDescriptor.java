package dev.jvz.image;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * The content of a disk's {@code DiskDescriptor.xml} (PLOOP-FORMAT.md, section 2), immutable and valid
 * by construction: every image has a snapshot entry and the other way round, GUIDs are unique, the
 * top GUID exists, there is one base (parent {@link #NONE_GUID}) and every snapshot's parent chain
 * reaches it without a cycle, files are relative and stay inside the descriptor's directory.
 *
 * <p>The constructor throws {@link IllegalArgumentException} (a record cannot throw a checked one);
 * {@link DescriptorXml} turns it into a {@link DescriptorException} naming the file. GUIDs are kept in
 * lower case, as ploop's uuid_unparse writes them. Elements jvz does not model (vendor extras such as
 * {@code Encryption} or {@code PhysicalSectorSize}) are ignored on read and not written back, as ploop does.
 *
 * <p>Immutable, hence thread-safe.
 *
 * @param diskSizeSectors {@code Disk_Parameters/Disk_size}: virtual size in sectors (also {@code Storage/End})
 * @param cylinders {@code Disk_Parameters/Cylinders}: geometry only
 * @param heads {@code Disk_Parameters/Heads}: geometry only
 * @param sectors {@code Disk_Parameters/Sectors}: geometry only
 * @param blocksize {@code Storage/Blocksize}: cluster size in sectors
 * @param preallocated {@code Storage/Preallocated} = 1
 * @param images {@code Storage/Image}, in file order
 * @param topGuid {@code Snapshots/TopGUID}: the writable top of the active stack
 * @param snapshots {@code Snapshots/Shot}, in file order
 */
public record DiskDescriptor(
        long diskSizeSectors,
        long cylinders,
        long heads,
        long sectors,
        int blocksize,
        boolean preallocated,
        List<ImageEntry> images,
        String topGuid,
        List<Snapshot> snapshots) {

    /** The GUID ploop (and Parallels) always give the active top delta. */
    public static final String TOP_GUID = "{5fbaabe3-6958-40ff-92a7-860e329aab41}";
    /** Parent GUID of the base image: "no parent". */
    public static final String NONE_GUID = "{00000000-0000-0000-0000-000000000000}";

    /** 38 characters: braces around the 8-4-4-4-12 hex form. */
    private static final Pattern GUID = Pattern.compile(
            "\\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}}");

    /** How an image file is stored. */
    public enum ImageType {
        /** A ploop delta (ploop writes "Compressed" for its expanded format). */
        COMPRESSED("Compressed"),
        /** A raw file; only the base of a stack may be raw (ploop's raw mode). */
        PLAIN("Plain");

        private final String xmlName;

        ImageType(String xmlName) {
            this.xmlName = xmlName;
        }

        public String xmlName() {
            return xmlName;
        }

        /** Parses the {@code Type} element; unknown values are an error the caller reports. */
        public static ImageType fromXml(String s) {
            for (ImageType t : values()) {
                if (t.xmlName.equals(s)) {
                    return t;
                }
            }
            throw new IllegalArgumentException("<Image>/<Type> is '" + s + "' (expected: Compressed or Plain)");
        }
    }

    /**
     * One {@code Storage/Image}.
     *
     * @param guid the image's GUID (ties it to its {@code Shot})
     * @param type Compressed (ploop delta) or Plain (raw)
     * @param file path relative to the descriptor's directory
     */
    public record ImageEntry(String guid, ImageType type, String file) {
        public ImageEntry {
            guid = requireGuid(guid, "<Image>/<GUID>");
            if (type == null) {
                throw new IllegalArgumentException("<Image>/<Type> is missing for image " + guid);
            }
            requireSafeFile(file, guid);
        }

        public ImageEntry withGuid(String newGuid) {
            return new ImageEntry(newGuid, type, file);
        }
    }

    /**
     * One {@code Snapshots/Shot}.
     *
     * @param guid the snapshot's GUID (equal to its image's GUID)
     * @param parentGuid the GUID it was taken on top of, or {@link #NONE_GUID} for the base
     * @param temporary {@code <Temporary/>}: deleted by the user but kept because several children need it
     */
    public record Snapshot(String guid, String parentGuid, boolean temporary) {
        public Snapshot {
            guid = requireGuid(guid, "<Shot>/<GUID>");
            parentGuid = requireGuid(parentGuid, "<Shot>/<ParentGUID> of " + guid);
            if (guid.equals(NONE_GUID)) {
                throw new IllegalArgumentException("<Shot>/<GUID> is the null GUID " + NONE_GUID
                        + ", which only a base's <ParentGUID> may use");
            }
            if (guid.equals(parentGuid)) {
                throw new IllegalArgumentException("<Shot> " + guid + " names itself as its parent (a cycle)");
            }
        }

        public boolean isBase() {
            return parentGuid.equals(NONE_GUID);
        }
    }

    public DiskDescriptor {
        if (diskSizeSectors <= 0) {
            throw new IllegalArgumentException("<Disk_size> is " + diskSizeSectors + " (expected: a positive "
                    + "number of sectors)");
        }
        if (cylinders < 0 || heads < 0 || sectors < 0) {
            throw new IllegalArgumentException("<Disk_Parameters> geometry is negative");
        }
        if (!PloopFormat.isValidClusterSectors(blocksize)) {
            throw new IllegalArgumentException("<Blocksize> is " + blocksize + " sectors (expected: a power of two "
                    + "from " + PloopFormat.MIN_CLUSTER_SECTORS + " to " + PloopFormat.MAX_CLUSTER_SECTORS + ")");
        }
        images = List.copyOf(images);
        snapshots = List.copyOf(snapshots);
        topGuid = requireGuid(topGuid, "<TopGUID>");
        validateGraph(images, topGuid, snapshots);
    }

    private static void validateGraph(List<ImageEntry> images, String topGuid, List<Snapshot> snapshots) {
        if (images.isEmpty()) {
            throw new IllegalArgumentException("<StorageData>/<Storage> has no <Image>");
        }
        if (images.size() > PloopFormat.MAX_DELTAS) {
            throw new IllegalArgumentException("the disk has " + images.size() + " images; at most "
                    + PloopFormat.MAX_DELTAS + " are allowed");
        }
        Set<String> imageGuids = new HashSet<>();
        Set<String> files = new HashSet<>();
        for (ImageEntry e : images) {
            if (!imageGuids.add(e.guid())) {
                throw new IllegalArgumentException("<Image> GUID " + e.guid() + " appears twice");
            }
            if (!files.add(Path.of(e.file()).normalize().toString())) {
                throw new IllegalArgumentException("<Image> file " + e.file() + " appears twice");
            }
        }
        Map<String, Snapshot> byGuid = new HashMap<>();
        for (Snapshot s : snapshots) {
            if (byGuid.put(s.guid(), s) != null) {
                throw new IllegalArgumentException("<Shot> GUID " + s.guid() + " appears twice");
            }
            if (!imageGuids.contains(s.guid())) {
                throw new IllegalArgumentException("<Shot> " + s.guid() + " has no <Image> with that GUID");
            }
        }
        for (ImageEntry e : images) {
            if (!byGuid.containsKey(e.guid())) {
                throw new IllegalArgumentException("<Image> " + e.guid() + " (" + e.file() + ") has no <Shot>");
            }
        }
        if (!byGuid.containsKey(topGuid)) {
            throw new IllegalArgumentException("<TopGUID> " + topGuid + " names no <Shot>");
        }
        String base = null;
        for (Snapshot s : snapshots) {
            if (s.isBase()) {
                if (base != null) {
                    throw new IllegalArgumentException("two base images (<ParentGUID> " + NONE_GUID + "): "
                            + base + " and " + s.guid() + "; a disk has exactly one");
                }
                base = s.guid();
            } else if (!byGuid.containsKey(s.parentGuid())) {
                throw new IllegalArgumentException("<Shot> " + s.guid() + " has <ParentGUID> " + s.parentGuid()
                        + " that names no <Shot> (dangling parent)");
            }
        }
        if (base == null) {
            throw new IllegalArgumentException("no base image (a <Shot> with <ParentGUID> " + NONE_GUID
                    + "); the parent links form a cycle");
        }
        // Every chain must reach the base within n steps; a longer walk means a cycle.
        for (Snapshot s : snapshots) {
            Snapshot cur = s;
            int steps = 0;
            while (!cur.isBase()) {
                if (++steps > snapshots.size()) {
                    throw new IllegalArgumentException("<Shot> " + s.guid() + ": its <ParentGUID> chain is a cycle "
                            + "and never reaches the base");
                }
                cur = byGuid.get(cur.parentGuid());
            }
        }
        ImageType baseType = null;
        for (ImageEntry e : images) {
            if (e.guid().equals(base)) {
                baseType = e.type();
            }
        }
        if (baseType == ImageType.COMPRESSED) {
            for (ImageEntry e : images) {
                if (e.type() == ImageType.PLAIN) {
                    throw new IllegalArgumentException("<Image> " + e.guid() + " is Plain but is not the base; "
                            + "only the base of a disk may be a raw file");
                }
            }
        }
    }

    /** True for a 38-character GUID in braces. */
    public static boolean isValidGuid(String s) {
        return s != null && GUID.matcher(s).matches();
    }

    /** A fresh random GUID in ploop's form. */
    public static String newGuid() {
        return "{" + UUID.randomUUID() + "}";
    }

    static String requireGuid(String s, String what) {
        if (s == null) {
            throw new IllegalArgumentException(what + " is missing");
        }
        String t = s.strip();
        if (!isValidGuid(t)) {
            throw new IllegalArgumentException(what + " '" + s + "' is not a GUID (expected 38 characters like "
                    + TOP_GUID + ")");
        }
        return t.toLowerCase(Locale.ROOT);
    }

    /** A file must be a plain relative path that stays in the descriptor's directory. */
    static void requireSafeFile(String file, String guid) {
        if (file == null || file.isBlank()) {
            throw new IllegalArgumentException("<Image>/<File> is missing for image " + guid);
        }
        if (file.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("<Image>/<File> of " + guid + " contains a NUL character");
        }
        Path p = Path.of(file);
        if (p.isAbsolute()) {
            throw new IllegalArgumentException("<Image>/<File> '" + file + "' of " + guid
                    + " is absolute; jvz needs image files relative to the descriptor's directory");
        }
        Path n = p.normalize();
        if (n.toString().isEmpty() || n.startsWith("..")) {
            throw new IllegalArgumentException("<Image>/<File> '" + file + "' of " + guid
                    + " leaves the descriptor's directory");
        }
    }

    // ---- queries ----

    public ImageEntry image(String guid) {
        for (ImageEntry e : images) {
            if (e.guid().equalsIgnoreCase(guid)) {
                return e;
            }
        }
        return null;
    }

    public Snapshot snapshot(String guid) {
        for (Snapshot s : snapshots) {
            if (s.guid().equalsIgnoreCase(guid)) {
                return s;
            }
        }
        return null;
    }

    /** Snapshots whose parent is {@code guid}, in file order. */
    public List<Snapshot> children(String guid) {
        List<Snapshot> out = new ArrayList<>();
        for (Snapshot s : snapshots) {
            if (s.parentGuid().equalsIgnoreCase(guid)) {
                out.add(s);
            }
        }
        return out;
    }

    public Snapshot base() {
        for (Snapshot s : snapshots) {
            if (s.isBase()) {
                return s;
            }
        }
        throw new AssertionError("validated descriptor without a base");
    }

    /** The active stack, base first: the images on the parent chain of {@link #topGuid}. */
    public List<ImageEntry> activeChain() {
        return chainOf(topGuid);
    }

    /** The images from the base up to {@code guid}, base first. */
    public List<ImageEntry> chainOf(String guid) {
        List<ImageEntry> out = new ArrayList<>();
        Snapshot s = snapshot(guid);
        while (s != null) {
            out.add(image(s.guid()));
            s = s.isBase() ? null : snapshot(s.parentGuid());
        }
        return out.reversed();
    }

    // ---- derived descriptors (each validated again by the constructor) ----

    /** Same descriptor with a new virtual size (after grow). */
    public DiskDescriptor withDiskSize(long newSizeSectors, long newCylinders) {
        return new DiskDescriptor(newSizeSectors, newCylinders, heads, sectors, blocksize, preallocated, images,
                topGuid, snapshots);
    }

    DiskDescriptor withImagesAndSnapshots(List<ImageEntry> newImages, List<Snapshot> newSnapshots) {
        return new DiskDescriptor(diskSizeSectors, cylinders, heads, sectors, blocksize, preallocated, newImages,
                topGuid, newSnapshots);
    }

    /** A single-image descriptor, as {@code ploop init} writes it. */
    public static DiskDescriptor single(String file, ImageType type, PloopHeader header) {
        return new DiskDescriptor(header.sizeInSectors(), Integer.toUnsignedLong(header.cylinders()),
                Integer.toUnsignedLong(header.heads()), PloopFormat.GEOMETRY_SECTORS_PER_TRACK,
                header.clusterSectors(), false, List.of(new ImageEntry(TOP_GUID, type, file)), TOP_GUID,
                List.of(new Snapshot(TOP_GUID, NONE_GUID, false)));
    }
}
