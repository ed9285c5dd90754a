package dev.jvz.image;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of {@link ImageChecker#check}: what was found, what was repaired, the statistics
 * {@code qemu-img check} prints, and a {@link Severity} that the CLI maps to an exit code.
 *
 * @param path the delta checked
 * @param version format version, 0 if the header could not be read
 * @param clusterBytes cluster size, 0 if the header could not be read
 * @param fileSizeBefore file size when the check started
 * @param fileSizeAfter file size when it ended (differs only after a repair)
 * @param findings everything found, in the order found
 * @param allocatedClusters BAT entries mapping a whole cluster inside the file (after repairs;
 *     counted as {@code qemu-img check} counts them, duplicates included)
 * @param fragmentedClusters allocated entries whose cluster does not follow the previous entry's
 *     cluster in the file ({@code qemu-img check}'s statistic)
 * @param leakedClusters whole or partial clusters past the last used one (before repair)
 * @param leakedBytes bytes past the last used cluster (before repair)
 * @param imageEndOffset where the used part of the file ends: after the last used cluster, or after
 *     the header and BAT when nothing is allocated (after repairs)
 * @param modified whether the file was written to
 * @param severity overall verdict
 */
public record CheckReport(
        Path path,
        int version,
        long clusterBytes,
        long fileSizeBefore,
        long fileSizeAfter,
        List<Finding> findings,
        long allocatedClusters,
        long fragmentedClusters,
        long leakedClusters,
        long leakedBytes,
        long imageEndOffset,
        boolean modified,
        Severity severity) {

    /** ploop's exit code for success (libploop.h). */
    public static final int EXIT_OK = 0;
    /** ploop's SYSEXIT_WRITE: a write failed. */
    public static final int EXIT_WRITE = 7;
    /** ploop's SYSEXIT_PLOOPFMT: the image violates the format and was not (fully) repaired. */
    public static final int EXIT_PLOOPFMT = 11;
    /** ploop's SYSEXIT_EBUSY: the image is in use during a format conversion. */
    public static final int EXIT_EBUSY = 17;
    /** ploop's SYSEXIT_LOCK: another process holds the image's lock. */
    public static final int EXIT_LOCK = 23;
    /** ploop's SYSEXIT_PLOOPINUSE: the image is marked in use and the mark was not dropped. */
    public static final int EXIT_PLOOPINUSE = 37;

    public CheckReport {
        Objects.requireNonNull(path, "path");
        findings = List.copyOf(findings);
        Objects.requireNonNull(severity, "severity");
    }

    /** Overall verdict, worst first in the order a CLI reports them. */
    public enum Severity {
        /** Nothing wrong (or a clean image skipped without {@code -f}). */
        CLEAN,
        /** Problems were found and all of them repaired; the image is consistent now. */
        FIXED,
        /** Problems remain that a check with more permission would repair (read-only, in use, ...). */
        ERRORS_REMAIN,
        /** The image cannot be used as it is and nothing was modified. */
        FATAL
    }

    /** How bad one finding is. */
    public enum Level {
        /** Statistics and remarks; never makes the image unclean. */
        INFO,
        /** A problem the check repairs when allowed to write. */
        ERROR,
        /** A problem that blocks every repair; nothing is modified while one exists. */
        FATAL
    }

    /** What a finding is about. The message carries the detail and what to do. */
    public enum Kind {
        /** The file is shorter than the 64-byte header. */
        TRUNCATED_HEADER,
        /** Neither the v1 nor the v2 signature. */
        BAD_SIGNATURE,
        /** The header's type field is not 2. */
        BAD_TYPE,
        /** The cluster size is not a power of two from 64 to 131072 sectors. */
        BAD_CLUSTER_SIZE,
        /** The data area offset is unaligned, overlaps the BAT, or (v2) is zero. */
        BAD_DATA_OFFSET,
        /** Another header field is impossible (virtual size larger than the BAT covers, ...). */
        BAD_HEADER,
        /** The header announces more BAT entries than the file holds. */
        BAT_PAST_EOF,
        /** A clean image was not checked (ploop skips it without {@code -f}). */
        SKIPPED_CLEAN,
        /** The inUse mark is set: open elsewhere or not closed cleanly. */
        IN_USE,
        /** The flag of an interrupted v1/v2 conversion is set. */
        CONVERSION,
        /** A BAT entry for a virtual cluster past the virtual size. */
        ENTRY_BEYOND_SIZE,
        /** A v1 BAT entry that is not a multiple of the cluster size. */
        ENTRY_UNALIGNED,
        /** A BAT entry pointing into the header/BAT area. */
        ENTRY_IN_HEADER,
        /** A BAT entry whose cluster does not lie wholly inside the file. */
        ENTRY_PAST_EOF,
        /** A BAT entry naming a file cluster that an earlier entry uses too. */
        DUPLICATE,
        /** Bytes after the last used cluster (a crash between data write and BAT update leaves one). */
        LEAK,
        /** Data clusters before the last used one that no entry references (listed with {@code -c}). */
        HOLE,
        /** The empty flag disagrees with the BAT. */
        EMPTY_FLAG
    }

    /**
     * One thing found.
     *
     * @param kind what it is about
     * @param level how bad
     * @param batIndex the BAT entry (= virtual cluster) concerned, or -1
     * @param fileOffset the file offset concerned, or -1
     * @param message what is wrong and what to do
     * @param repaired whether this check repaired it
     */
    public record Finding(Kind kind, Level level, long batIndex, long fileOffset, String message, boolean repaired) {
        public Finding {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(level, "level");
            Objects.requireNonNull(message, "message");
        }
    }

    /** True when the image is consistent now (nothing found, or everything found repaired). */
    public boolean clean() {
        return severity == Severity.CLEAN || severity == Severity.FIXED;
    }

    /** Findings of one kind. */
    public List<Finding> findings(Kind kind) {
        return findings.stream().filter(f -> f.kind() == kind).toList();
    }

    /** Whether any finding has this kind. */
    public boolean has(Kind kind) {
        return findings.stream().anyMatch(f -> f.kind() == kind);
    }

    /**
     * The exit code {@code ploop check} gives for this outcome: 0 when clean or fixed; 17 for an
     * in-use image in mid conversion; 11 for format errors that remain; 37 when the only problem
     * left is the inUse mark (run again with {@code -d}).
     */
    public int exitCode() {
        return switch (severity) {
            case CLEAN, FIXED -> EXIT_OK;
            case FATAL -> has(Kind.CONVERSION) && has(Kind.IN_USE) ? EXIT_EBUSY : EXIT_PLOOPFMT;
            case ERRORS_REMAIN -> findings.stream()
                            .allMatch(f -> f.level() == Level.INFO || f.repaired() || f.kind() == Kind.IN_USE)
                    ? EXIT_PLOOPINUSE
                    : EXIT_PLOOPFMT;
        };
    }

    /** One line for humans: the verdict and the counts. */
    public String summary() {
        long errors = findings.stream().filter(f -> f.level() != Level.INFO).count();
        long repaired = findings.stream().filter(Finding::repaired).count();
        return path + ": " + switch (severity) {
            case CLEAN -> "clean";
            case FIXED -> "repaired (" + repaired + " of " + errors + " problems fixed)";
            case ERRORS_REMAIN -> (errors - repaired) + " problem(s) remain";
            case FATAL -> "fatal errors, nothing was modified";
        } + "; " + allocatedClusters + " allocated cluster(s), " + fragmentedClusters + " fragmented, "
                + leakedClusters + " leaked (" + leakedBytes + " bytes), image end at " + imageEndOffset;
    }
}
