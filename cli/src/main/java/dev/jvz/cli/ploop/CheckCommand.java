package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.CheckOptions;
import dev.jvz.image.CheckReport;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageChecker;
import dev.jvz.image.ImageException;
import dev.jvz.image.ImageLockedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop check [-fFrdc] DELTA | DiskDescriptor.xml}: ploop check and qemu-img check in one.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "check",
        description = {
            "Check a ploop image and repair what may be repaired.",
            "",
            "For a DELTA file: check its header, the inUse mark and every block table entry (beyond the "
                    + "virtual size, unaligned, inside the header, past the end of file, used twice), the "
                    + "leaked tail and the empty flag, as ploop check and qemu-img check do. A clean image "
                    + "(inUse not set) is skipped unless -f is given. Soft problems (an entry beyond the "
                    + "size, a leaked tail, the empty flag) are repaired unless -r; entries whose data is "
                    + "lost (past the end, unaligned, in the header) only with -F; an image marked in use "
                    + "is repaired only with -d, which asserts nothing else has it open. Repairs are "
                    + "planned first and nothing is written while a fatal problem exists. A repairing check "
                    + "of a delta with a DiskDescriptor.xml beside it locks that disk, so it is refused "
                    + "while the disk is mounted (exit 23); -r works anyway.",
            "",
            "For a DiskDescriptor.xml (or its directory): the disk is locked (so it must not be mounted) "
                    + "and every delta of its active chain is checked, base first, as ploop does: with -c "
                    + "and -d implied (the lock proves nothing else uses it), the lower deltas read-only, "
                    + "and stopping at the first delta that is not clean. A raw base is skipped. With -u, "
                    + "the chain ends at that snapshot instead of the top.",
            "",
            "Every finding is printed on its own line, then one summary line per delta. Exit status as "
                    + "ploop check: 0 when clean or every problem was repaired; 11 when errors remain; "
                    + "37 when the only problem left is the inUse mark (run again with -d); 17 for an "
                    + "image in use during a format conversion."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  target              the DELTA or DiskDescriptor.xml checked",
            "  exit_code           the exit status (see above)",
            "  reports             one object per delta checked, base first:",
            "    file, severity (CLEAN, FIXED, ERRORS_REMAIN, FATAL), exit_code, version,",
            "    cluster_size, file_size_before, file_size_after, allocated_clusters,",
            "    fragmented_clusters, leaked_clusters, leaked_bytes, image_end_offset,",
            "    modified (true if the file was written), findings: a list of",
            "      {kind, level (INFO, ERROR, FATAL), bat_index, file_offset (-1 if none),",
            "       message, repaired}",
            "  not_checked         deltas skipped: a raw base, or those after the first",
            "                      delta that is not clean",
            "",
            "Examples:",
            "  jvz ploop check -f -r -c root.hdd   (look, change nothing)",
            "  jvz ploop check -d root.hdd         (after a crash: repair, clear inUse)",
            "  jvz ploop check root.hdd/DiskDescriptor.xml",
            "  jvz ploop check -F --json root.hdd | jq .exit_code"
        })
final class CheckCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-f", "--force"}, description = "Check even if the image is clean (inUse not set).")
    boolean force;

    @Option(names = {"-F", "--hard-force"}, description = "-f, and also repair entries whose data is lost "
            + "(past the end of file, unaligned, inside the header) by clearing them. Dangerous, as in ploop.")
    boolean hardForce;

    @Option(names = {"-r", "--ro"}, description = "Read-only: report, never modify the file.")
    boolean readOnly;

    @Option(names = {"-d", "--drop-inuse"}, description = "The image is not open anywhere: repair it even though "
            + "it is marked in use, and clear the mark once it is consistent.")
    boolean dropInUse;

    @Option(names = {"-c", "--check"}, description = "Detailed check: also list holes (clusters inside the file "
            + "that no entry uses). Duplicate entries are looked for on every check.")
    boolean detailed;

    @Option(names = "--repair-duplicates", description = "Repair entries sharing one cluster by copying it to a "
            + "new cluster for each later entry, as qemu-img check -r all (jvz only; without it a duplicate "
            + "is fatal, as in ploop).")
    boolean repairDuplicates;

    @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", converter = GuidConverter.class,
            description = "DiskDescriptor.xml only: check the chain from the base up to this snapshot.")
    String uuid;

    @Parameters(index = "0", paramLabel = "DELTA|DiskDescriptor.xml",
            description = "A delta file, or a DiskDescriptor.xml or the directory holding it.")
    Path target;

    /**
     * @param target the argument checked
     * @param exitCode the exit status
     * @param reports one per delta checked, base first
     * @param notChecked deltas skipped
     */
    record Result(String target, int exitCode, List<DeltaReport> reports, List<String> notChecked) {
        Result {
            reports = List.copyOf(reports);
            notChecked = List.copyOf(notChecked);
        }
    }

    /** A {@link CheckReport} as printed: the path as a plain string, and its own exit status. */
    record DeltaReport(String file, CheckReport.Severity severity, int exitCode, int version, long clusterSize,
            long fileSizeBefore, long fileSizeAfter, long allocatedClusters, long fragmentedClusters,
            long leakedClusters, long leakedBytes, long imageEndOffset, boolean modified,
            List<CheckReport.Finding> findings) {
        static DeltaReport of(CheckReport r) {
            return new DeltaReport(r.path().toString(), r.severity(), r.exitCode(), r.version(), r.clusterBytes(),
                    r.fileSizeBefore(), r.fileSizeAfter(), r.allocatedClusters(), r.fragmentedClusters(),
                    r.leakedClusters(), r.leakedBytes(), r.imageEndOffset(), r.modified(), r.findings());
        }
    }

    @Override
    public Integer call() throws IOException, ImageException, CliException {
        CheckOptions opts = new CheckOptions(force, hardForce, readOnly, dropInUse, detailed, repairDuplicates);
        List<CheckReport> reports = new ArrayList<>();
        List<String> notChecked = new ArrayList<>();
        if (DiskArgs.isDescriptor(target)) {
            checkDisk(opts, reports, notChecked);
        } else {
            if (uuid != null) {
                throw new ParameterException(spec.commandLine(),
                        "-u is only for a DiskDescriptor.xml, not for a delta file");
            }
            try (Disk held = lockDiskOf(target, opts)) {
                reports.add(ImageChecker.check(target, opts));
            }
        }
        int exit = ExitCodes.OK;
        for (CheckReport r : reports) {
            if (r.exitCode() != ExitCodes.OK) {
                exit = r.exitCode();
                break;
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, new Result(target.toString(), exit, reports.stream().map(DeltaReport::of).toList(),
                    notChecked));
        } else if (!common.quiet()) {
            for (CheckReport r : reports) {
                for (CheckReport.Finding f : r.findings()) {
                    out.println(f.level().name().toLowerCase(Locale.ROOT) + ": " + f.message()
                            + (f.repaired() ? " [repaired]" : ""));
                }
                out.println(r.summary());
            }
            for (String s : notChecked) {
                out.println("not checked: " + s);
            }
            out.flush();
        }
        return exit;
    }

    /**
     * A repairing check of a delta that belongs to a disk (a DiskDescriptor.xml beside it) holds that
     * disk's lock, so it never writes into the delta of a mounted disk, and no mount starts meanwhile.
     * A locked disk is refused with the in-use message; a read-only check needs no lock. A descriptor
     * that cannot be opened for another reason (damaged, names a missing file) must not keep the
     * delta from being checked: then the check runs without the lock, as for a lone delta.
     *
     * @return the locked disk, or null
     */
    private static Disk lockDiskOf(Path delta, CheckOptions opts) throws IOException, ImageException {
        Path xml = delta.toAbsolutePath().normalize().resolveSibling(Disk.DESCRIPTOR_NAME);
        if (opts.readOnly() || !java.nio.file.Files.exists(xml)) {
            return null;
        }
        try {
            return Disk.open(xml);
        } catch (ImageLockedException e) {
            throw DiskArgs.inUse(xml, e);
        } catch (ImageException | IOException e) {
            return null;
        }
    }

    /** ploop's check of a disk (lib/check.c check_dd): lock, then each delta of the chain, base first. */
    private void checkDisk(CheckOptions user, List<CheckReport> reports, List<String> notChecked)
            throws IOException, ImageException, CliException {
        try (Disk d = DiskArgs.open(target)) {
            DiskDescriptor desc = d.descriptor();
            String upTo = uuid == null ? desc.topGuid() : uuid;
            if (desc.snapshot(upTo) == null) {
                throw DiskArgs.noSnapshot(d.descriptorPath(), upTo);
            }
            List<DiskDescriptor.ImageEntry> chain = desc.chainOf(upTo);
            boolean stopped = false;
            for (int i = 0; i < chain.size(); i++) {
                DiskDescriptor.ImageEntry e = chain.get(i);
                Path file = d.directory().resolve(e.file());
                if (stopped) {
                    notChecked.add(file + " (an earlier delta is not clean)");
                    continue;
                }
                if (i == 0 && e.type() == DiskDescriptor.ImageType.PLAIN) {
                    notChecked.add(file + " (raw base: nothing to check)");
                    continue;
                }
                boolean lower = i < chain.size() - 1;
                // We hold the disk lock, so nothing else has these files open: -d is safe, as in ploop.
                CheckOptions o = new CheckOptions(user.force(), user.hardForce(), user.readOnly() || lower, true,
                        true, user.repairDuplicates());
                CheckReport r = ImageChecker.check(file, o);
                reports.add(r);
                stopped = r.exitCode() != ExitCodes.OK;
            }
        }
    }
}
