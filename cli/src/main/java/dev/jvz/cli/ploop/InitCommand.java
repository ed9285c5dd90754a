package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.cli.PartialFile;
import dev.jvz.cli.SizeConverter;
import dev.jvz.cli.Sizes;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import dev.jvz.image.ImageException;
import dev.jvz.image.PloopHeader;
import dev.jvz.node.NodeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * {@code jvz ploop init -s SIZE [-t ext4|none] DELTA}: a new disk, its DiskDescriptor.xml and (by
 * default) an ext4 file system inside.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "init",
        description = {
            "Create a new ploop disk: an image file, its DiskDescriptor.xml and a file system.",
            "",
            "Create the empty ploop image file DELTA with a virtual size of SIZE, rounded up to whole "
                    + "clusters as ploop does, and DiskDescriptor.xml beside it, naming DELTA as the base "
                    + "image. DELTA's directory must exist; neither file may exist yet.",
            "",
            "Then, unless -t none, an ext4 file system is created on the whole disk (no partition table), "
                    + "as ploop init does by default: the disk is served over NBD and attached as a kernel "
                    + "block device (nbdfuse + losetup, or nbd-client where the nbd module exists) for "
                    + "mkfs.ext4, then detached. That needs root and the tools mkfs.ext4, losetup, nbdfuse "
                    + "and fusermount3 (or nbd-client and /dev/nbd0); if one is missing the error says "
                    + "which (exit 24). If any step fails, everything init created is removed, so the same "
                    + "command can simply be run again."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  file                the image created",
            "  descriptor          the DiskDescriptor.xml created",
            "  filesystem          \"ext4\" or \"none\"",
            "  version             format version, 1 or 2",
            "  virtual_size        virtual disk size, bytes (SIZE rounded up to a cluster)",
            "  cluster_size        cluster size, bytes",
            "  file_size           size of the image file, bytes (after mkfs)",
            "",
            "Examples:",
            "  mkdir -p /vz/private/101/root.hdd",
            "  jvz ploop init -s 10G /vz/private/101/root.hdd/root.hdd",
            "  jvz ploop init -s 20971520 -b 256 -v 1 -t none root.hdd",
            "      (10 GiB given in sectors, 128 KiB clusters, format v1, no file system)"
        })
final class InitCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-s", "--size"}, required = true, paramLabel = "SIZE", converter = SizeConverter.class,
            description = "Virtual size: a number of 512-byte sectors, or a number with a suffix K, M, G or T "
                    + "(binary: 1G = 1024^3 bytes), as ploop init -s.")
    long sizeBytes;

    @Mixin
    FormatOptions format;

    @Option(names = {"-t", "--fstype"}, paramLabel = "ext4|none", converter = FsType.class, defaultValue = "ext4",
            description = "File system to create inside: ext4 (default, as ploop) or none.")
    String fsType;

    @Parameters(index = "0", paramLabel = "DELTA", description = "The image file to create.")
    Path delta;

    /**
     * @param file the image created
     * @param descriptor the descriptor created
     * @param filesystem ext4 or none
     * @param version format version
     * @param virtualSize virtual size in bytes
     * @param clusterSize cluster size in bytes
     * @param fileSize size of the image file in bytes
     */
    record Result(String file, String descriptor, String filesystem, int version, long virtualSize, long clusterSize,
            long fileSize) {}

    /** Formats an attached disk; the real one goes through the node's kernel path. Replaceable in tests. */
    @FunctionalInterface
    interface Formatter {
        void mkfsExt4(Path descriptor) throws IOException, NodeException;
    }

    /** The formatter {@code init -t ext4} uses; only tests replace it (volatile: set before a run). */
    static volatile Formatter formatter = descriptor -> dev.jvz.node.MountService.withDevice(descriptor,
            dev.jvz.node.Fs::mkfsExt4);

    /** Which tools the ext4 path needs that are not installed; empty when it can run. */
    static List<String> missingFormatTools() {
        List<String> missing = new ArrayList<>();
        if (!dev.jvz.node.Exec.onPath("mkfs.ext4")) {
            missing.add("mkfs.ext4 (package e2fsprogs)");
        }
        if (!dev.jvz.node.Attacher.kernelNbdAvailable()) {
            for (String[] t : new String[][] {{"nbdfuse", "libnbd-bin"}, {"fusermount3", "fuse3"},
                    {"losetup", "mount"}}) {
                if (!dev.jvz.node.Exec.onPath(t[0])) {
                    missing.add(t[0] + " (package " + t[1] + ")");
                }
            }
            if (!Files.exists(Path.of("/dev/fuse"))) {
                missing.add("/dev/fuse (load the fuse module, or give the container the device)");
            }
        }
        return missing;
    }

    /** The tools check before formatting; only tests replace it (volatile: set before a run). */
    static volatile java.util.function.Supplier<List<String>> toolCheck = InitCommand::missingFormatTools;

    @Override
    public Integer call() throws IOException, ImageException, CliException {
        boolean ext4 = fsType.equals("ext4");
        if (ext4) {
            List<String> missing = toolCheck.get();
            if (!missing.isEmpty()) {
                throw new CliException(ExitCodes.MKFS, "cannot create the ext4 file system: missing "
                        + String.join(", ", missing) + "; install them (scripts/install-deps.sh), or use "
                        + "-t none for a disk without a file system");
            }
        }
        CreateOptions options = new CreateOptions(sizeBytes, format.clusterSectors, format.version);
        Path abs = delta.toAbsolutePath().normalize();
        Path xml = abs.resolveSibling(Disk.DESCRIPTOR_NAME);
        Path lck = xml.resolveSibling(Disk.DESCRIPTOR_NAME + ".lck");
        boolean lockExisted = Files.exists(lck);
        // Ctrl-C or SIGTERM mid-way removes what exists so far, as a failure does.
        try (PartialFile pDelta = PartialFile.guard(abs, false);
                PartialFile pXml = PartialFile.guard(xml, false)) {
            try {
                try (Disk d = Disk.init(abs, options)) {
                    xml = d.descriptorPath();
                }
                if (ext4) {
                    try {
                        formatter.mkfsExt4(xml);
                    } catch (NodeException e) {
                        throw new CliException(ExitCodes.MKFS, "cannot create the ext4 file system on " + abs + ": "
                                + e.getMessage() + "; nothing was kept, fix the cause and run init again", e);
                    }
                }
            } catch (IOException | ImageException | CliException | RuntimeException e) {
                removeCreated(e, pDelta, pXml, lockExisted ? null : lck);
                throw e;
            }
        }
        PloopHeader h = options.header();
        Result r = new Result(abs.toString(), xml.toString(), fsType, h.version(), h.sizeBytes(), h.clusterBytes(),
                Files.size(abs));
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
        } else if (!common.quiet()) {
            out.println("created " + r.file() + ": ploop v" + r.version() + ", " + Sizes.humanExact(r.virtualSize())
                    + ", " + Sizes.human(r.clusterSize()) + " clusters, "
                    + (ext4 ? "ext4 file system" : "no file system") + "; descriptor " + r.descriptor());
            out.flush();
        }
        return ExitCodes.OK;
    }

    /** Removes what init created (never what existed before), so a retry starts from scratch. */
    private static void removeCreated(Exception failure, PartialFile delta, PartialFile xml, Path lck) {
        try {
            xml.deleteIfOwned(); // the descriptor first: it must never name a missing image
            delta.deleteIfOwned();
            if (lck != null) {
                Files.deleteIfExists(lck);
            }
        } catch (IOException e) {
            failure.addSuppressed(e);
        }
    }

    static final class FsType implements ITypeConverter<String> {
        @Override
        public String convert(String value) {
            return switch (value) {
                case "ext4", "none" -> value;
                default -> throw new TypeConversionException("'" + value + "' is not a supported file system: use "
                        + "ext4 or none (ploop's ext3 is not supported)");
            };
        }
    }
}
