package dev.jvz.image;

import static dev.jvz.image.Corrupt.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.CheckReport.Kind;
import dev.jvz.image.CheckReport.Level;
import dev.jvz.image.CheckReport.Severity;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ImageCheckerTest {
    @TempDir
    Path dir;

    static final CheckOptions FORCE = new CheckOptions(true, false, false, false, false, false);
    static final CheckOptions HARD = new CheckOptions(true, true, false, false, false, false);
    static final CheckOptions DUPFIX = new CheckOptions(true, false, false, false, false, true);

    /** One way to damage an image of 4 virtual clusters, all written (v1 and v2, 64-sector clusters). */
    interface Damage {
        void apply(Path p, int version) throws Exception;
    }

    record Case(String name, Kind kind, Damage damage) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final int CS = 64;
    static final long CB = CS * 512L;
    /** Images from {@link Corrupt#make} with 4 clusters: header+BAT take one cluster, data clusters 1..4. */
    static final int DATA0 = 1;

    static List<Case> cases() {
        return List.of(
                new Case("wrong signature", Kind.BAD_SIGNATURE, (p, v) -> putInt(p, 0, 0x21212121)),
                new Case("type 3", Kind.BAD_TYPE, (p, v) -> putInt(p, TYPE, 3)),
                new Case("cluster size not a power of two", Kind.BAD_CLUSTER_SIZE, (p, v) -> putInt(p, SECTORS, 100)),
                new Case("unaligned data offset", Kind.BAD_DATA_OFFSET, (p, v) -> putInt(p, FIRST_BLOCK, CS + 8)),
                new Case("truncated header", Kind.TRUNCATED_HEADER, (p, v) -> truncate(p, 40)),
                new Case("BAT far larger than the file", Kind.BAT_PAST_EOF, (p, v) -> putInt(p, BAT_ENTRIES, 0x7000_0000)),
                new Case("BAT entries past a truncated file", Kind.BAT_PAST_EOF, (p, v) -> {
                    putInt(p, BAT_ENTRIES, 100_000);
                    putInt(p, SIZE, 100_000 * CS);
                }),
                new Case("in use", Kind.IN_USE, (p, v) -> putInt(p, IN_USE, PloopFormat.INUSE_OPEN)),
                new Case("entry beyond the virtual size", Kind.ENTRY_BEYOND_SIZE, (p, v) -> putInt(p, SIZE, 3 * CS)),
                new Case("entry unaligned", Kind.ENTRY_UNALIGNED, (p, v) -> {
                    if (v == 1) {
                        setBat(p, 1, bat(p, 1) + 1);
                    } else {
                        putInt(p, FIRST_BLOCK, 2 * CS); // v2 entries cannot be unaligned; reported as in-header
                    }
                }),
                // Raw 0 means "unallocated", so the only way into a one-cluster header is a larger data offset.
                new Case("entry in the header", Kind.ENTRY_IN_HEADER, (p, v) -> putInt(p, FIRST_BLOCK, 2 * CS)),
                new Case("entry past EOF", Kind.ENTRY_PAST_EOF, (p, v) -> setBat(p, 1, entry(v, CS, 9))),
                new Case("duplicate entries", Kind.DUPLICATE, (p, v) -> setBat(p, 2, bat(p, 0))),
                new Case("leaked tail", Kind.LEAK, (p, v) -> append(p, filled(CB, (byte) 7))),
                new Case("size not a multiple of the cluster", Kind.LEAK, (p, v) -> append(p, new byte[1000])),
                new Case("empty flag wrong", Kind.EMPTY_FLAG, (p, v) -> putInt(p, FLAGS, PloopFormat.FLAG_EMPTY)),
                new Case("conversion flag", Kind.CONVERSION, (p, v) -> putInt(p, FLAGS, PloopFormat.FLAG_CONVERSION)),
                new Case("v2 data offset zero", Kind.BAD_DATA_OFFSET, (p, v) -> putInt(p, FIRST_BLOCK, 0)));
    }

    static Stream<Arguments> casesByVersion() {
        return cases().stream().flatMap(c -> Stream.of(Arguments.of(c, 1), Arguments.of(c, 2)))
                .filter(a -> !(((Case) a.get()[0]).name().startsWith("v2") && (int) a.get()[1] == 1));
    }

    private Path damaged(Case c, int version) throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, version, 4, 4);
        c.damage().apply(p, version);
        return p;
    }

    @ParameterizedTest(name = "{0} v{1}")
    @MethodSource("casesByVersion")
    void readOnlyCheckFindsEveryDamageAndChangesNoByte(Case c, int version) throws Exception {
        Path p = damaged(c, version);
        String before = sha256(p);
        CheckReport r = ImageChecker.check(p, CheckOptions.reportOnly());
        assertThat(sha256(p)).as("file changed by a read-only check").isEqualTo(before);
        Kind expect = c.kind() == Kind.ENTRY_UNALIGNED && version == 2 ? Kind.ENTRY_IN_HEADER : c.kind();
        assertThat(r.has(expect)).as(r.findings().toString()).isTrue();
        assertThat(r.modified()).isFalse();
        assertThat(r.severity()).isIn(Severity.ERRORS_REMAIN, Severity.FATAL);
        assertThat(r.clean()).isFalse();
        assertThat(r.exitCode()).isNotZero();
        assertThat(r.findings()).allSatisfy(f -> {
            assertThat(f.repaired()).isFalse();
            assertThat(f.message()).contains(p.toString());
        });
    }

    @ParameterizedTest(name = "{0} v{1}")
    @MethodSource("casesByVersion")
    void repairWithoutPermissionForTheDamageChangesNoByte(Case c, int version) throws Exception {
        // -f only: soft repairs happen, everything fatal leaves the file untouched.
        Path p = damaged(c, version);
        String before = sha256(p);
        CheckReport r = ImageChecker.check(p, FORCE);
        if (r.severity() == Severity.FATAL || r.severity() == Severity.ERRORS_REMAIN) {
            assertThat(sha256(p)).as(r.findings().toString()).isEqualTo(before);
            assertThat(r.modified()).as(r.findings().toString()).isFalse();
        } else {
            assertThat(r.severity()).isEqualTo(Severity.FIXED);
            assertThat(r.modified()).isTrue();
            assertThat(header(p).isInUse()).isFalse();
            Image.open(p, true).close();
        }
    }

    @ParameterizedTest(name = "{0} v{1}")
    @MethodSource("casesByVersion")
    void fullRepairLeavesAnImageThatOpensReadWriteAndRechecksClean(Case c, int version) throws Exception {
        Path p = damaged(c, version);
        CheckReport r = ImageChecker.check(p, CheckOptions.repairAll());
        boolean headerBroken = switch (c.kind()) {
            case BAD_SIGNATURE, BAD_TYPE, BAD_CLUSTER_SIZE, TRUNCATED_HEADER, BAT_PAST_EOF -> true;
            case BAD_DATA_OFFSET -> c.name().startsWith("unaligned");
            default -> false;
        };
        if (headerBroken) {
            assertThat(r.severity()).isEqualTo(Severity.FATAL);
            assertThat(r.exitCode()).isEqualTo(CheckReport.EXIT_PLOOPFMT);
            assertThatThrownBy(() -> Image.open(p, false)).isInstanceOf(ImageCorruptedException.class);
            return;
        }
        assertThat(r.severity()).as(r.findings().toString()).isEqualTo(Severity.FIXED);
        assertThat(r.exitCode()).isZero();
        assertThat(Files.size(p) % CB).isZero();
        try (Image img = Image.open(p, true)) {
            img.write(0, ByteBuffer.wrap(new byte[] {1, 2, 3}));
        }
        CheckReport again = ImageChecker.check(p, CheckOptions.reportOnly());
        assertThat(again.severity()).as(again.findings().toString()).isEqualTo(Severity.CLEAN);
    }

    @ParameterizedTest
    @CsvSource({"1", "2"})
    void cleanImageIsSkippedWithoutForceAndCheckedWithIt(int version) throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, version, 4, 2);
        CheckReport skipped = ImageChecker.check(p, CheckOptions.defaults());
        assertThat(skipped.severity()).isEqualTo(Severity.CLEAN);
        assertThat(skipped.has(Kind.SKIPPED_CLEAN)).isTrue();
        CheckReport full = ImageChecker.check(p, FORCE);
        assertThat(full.severity()).isEqualTo(Severity.CLEAN);
        assertThat(full.findings()).isEmpty();
        assertThat(full.allocatedClusters()).isEqualTo(2);
        assertThat(full.fragmentedClusters()).isZero();
        assertThat(full.imageEndOffset()).isEqualTo(3 * CB);
        assertThat(full.modified()).isFalse();
    }

    @Test
    void inUseImageIsReportedButNotTouchedWithoutDropInUse() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 2);
        putInt(p, IN_USE, PloopFormat.INUSE_OPEN);
        append(p, filled(CB, (byte) 9)); // a crash leak that a -d check would trim
        String before = sha256(p);
        CheckReport r = ImageChecker.check(p, CheckOptions.defaults());
        assertThat(sha256(p)).isEqualTo(before);
        assertThat(r.severity()).isEqualTo(Severity.ERRORS_REMAIN);
        assertThat(r.exitCode()).isEqualTo(CheckReport.EXIT_PLOOPFMT); // the leak remains too
        assertThat(r.findings(Kind.IN_USE).getFirst().message()).contains("jvz ploop check -d " + p);
        assertThatThrownBy(() -> Image.open(p, true)).isInstanceOf(ImageInUseException.class)
                .hasMessageContaining("jvz ploop check -d " + p);

        CheckReport fixed = ImageChecker.check(p, CheckOptions.afterCrash());
        assertThat(fixed.severity()).isEqualTo(Severity.FIXED);
        assertThat(fixed.findings(Kind.IN_USE).getFirst().repaired()).isTrue();
        assertThat(fixed.findings(Kind.LEAK).getFirst().repaired()).isTrue();
        assertThat(header(p).isInUse()).isFalse();
        assertThat(Files.size(p)).isEqualTo(3 * CB);
        Image.open(p, true).close();
    }

    @Test
    void onlyTheInUseMarkLeftGivesPloopsInUseExitCode() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 2);
        putInt(p, IN_USE, PloopFormat.INUSE_OPEN);
        CheckReport r = ImageChecker.check(p, CheckOptions.defaults());
        assertThat(r.severity()).isEqualTo(Severity.ERRORS_REMAIN);
        assertThat(r.exitCode()).isEqualTo(CheckReport.EXIT_PLOOPINUSE);
    }

    @Test
    void inUseDuringConversionIsBusy() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 2);
        putInt(p, IN_USE, PloopFormat.INUSE_OPEN);
        putInt(p, FLAGS, PloopFormat.FLAG_CONVERSION);
        String before = sha256(p);
        CheckReport r = ImageChecker.check(p, CheckOptions.repairAll());
        assertThat(r.severity()).isEqualTo(Severity.FATAL);
        assertThat(r.exitCode()).isEqualTo(CheckReport.EXIT_EBUSY);
        assertThat(sha256(p)).isEqualTo(before);
    }

    @ParameterizedTest
    @CsvSource({"ENTRY_IN_HEADER", "ENTRY_PAST_EOF", "ENTRY_UNALIGNED"})
    void hardDamageIsFatalUntilHardForceThenOnlyThatEntryIsLost(Kind kind) throws Exception {
        int version = kind == Kind.ENTRY_UNALIGNED ? 1 : 2;
        Path p = make(dir.resolve("root.hdd"), CS, version, 4, 4);
        byte[] before = content(p);
        int bad = kind == Kind.ENTRY_IN_HEADER ? 0 : 1;
        switch (kind) {
            case ENTRY_IN_HEADER -> putInt(p, FIRST_BLOCK, 2 * CS); // entry 0 names file cluster 1
            case ENTRY_PAST_EOF -> setBat(p, 1, entry(version, CS, 50));
            default -> setBat(p, 1, bat(p, 1) + 3);
        }
        String hash = sha256(p);
        CheckReport soft = ImageChecker.check(p, FORCE);
        assertThat(soft.severity()).isEqualTo(Severity.FATAL);
        assertThat(soft.findings(kind).getFirst().level()).isEqualTo(Level.FATAL);
        assertThat(soft.findings(kind).getFirst().message()).contains("-F");
        assertThat(sha256(p)).isEqualTo(hash);

        CheckReport hard = ImageChecker.check(p, HARD);
        assertThat(hard.severity()).isEqualTo(Severity.FIXED);
        assertThat(hard.findings(kind).getFirst().repaired()).isTrue();
        assertThat(bat(p, bad)).isZero();
        byte[] after = content(p);
        for (int v = 0; v < 4; v++) {
            byte[] expect = v == bad ? new byte[(int) CB] : cluster(before, v, CB);
            assertThat(cluster(after, v, CB)).as("cluster " + v).isEqualTo(expect);
        }
        // The cluster entry 1 used to name is a hole now; the last cluster is still used, so no trim.
        assertThat(Files.size(p)).isEqualTo(5 * CB);
    }

    @ParameterizedTest
    @CsvSource({"1", "2"})
    void duplicatesAreFatalUnlessRepairedByCopyingThenBothEntriesReadAsBefore(int version) throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, version, 4, 4);
        byte[] before = content(p);
        setBat(p, 3, bat(p, 1)); // entry 3 now shares cluster with entry 1; its own cluster becomes the tail
        System.arraycopy(before, (int) CB, before, (int) (3 * CB), (int) CB); // what the damaged image reads
        String hash = sha256(p);
        assertThatThrownBy(() -> Image.open(p, false)).isInstanceOf(ImageCorruptedException.class)
                .hasMessageContaining("--repair-duplicates");

        CheckReport fatal = ImageChecker.check(p, HARD); // ploop: even -F does not fix duplicates
        assertThat(fatal.severity()).isEqualTo(Severity.FATAL);
        assertThat(fatal.findings(Kind.DUPLICATE).getFirst().batIndex()).isEqualTo(3);
        assertThat(fatal.findings(Kind.DUPLICATE).getFirst().message()).contains("BAT entry 1");
        assertThat(sha256(p)).isEqualTo(hash);

        CheckReport fixed = ImageChecker.check(p, DUPFIX);
        assertThat(fixed.severity()).as(fixed.findings().toString()).isEqualTo(Severity.FIXED);
        assertThat(fixed.findings(Kind.DUPLICATE).getFirst().repaired()).isTrue();
        assertThat(content(p)).isEqualTo(before);
        // The copies are independent: writing one leaves the other.
        try (Image img = Image.open(p, true)) {
            img.write(3 * CB, ByteBuffer.wrap(new byte[] {5, 5, 5}));
        }
        byte[] after = content(p);
        assertThat(cluster(after, 1, CB)).isEqualTo(cluster(before, 1, CB));
        assertThat(after[(int) (3 * CB)]).isEqualTo((byte) 5);
        assertThat(ImageChecker.check(p, CheckOptions.reportOnly()).severity()).isEqualTo(Severity.CLEAN);
    }

    @Test
    void leakIsCountedLikeQemuAndTrimmed() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 2);
        append(p, filled(CB * 2 + 100, (byte) 3));
        CheckReport ro = ImageChecker.check(p, CheckOptions.reportOnly());
        assertThat(ro.leakedBytes()).isEqualTo(CB * 2 + 100);
        assertThat(ro.leakedClusters()).isEqualTo(3);
        assertThat(ro.imageEndOffset()).isEqualTo(3 * CB);
        CheckReport fixed = ImageChecker.check(p, FORCE);
        assertThat(fixed.severity()).isEqualTo(Severity.FIXED);
        assertThat(fixed.fileSizeAfter()).isEqualTo(3 * CB);
        assertThat(Files.size(p)).isEqualTo(3 * CB);
    }

    @Test
    void detailedCheckListsHolesAsInformationOnly() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 4);
        setBat(p, 1, 0);
        CheckReport r = ImageChecker.check(p, new CheckOptions(true, false, true, false, true, false));
        assertThat(r.findings(Kind.HOLE)).singleElement().satisfies(f -> {
            assertThat(f.level()).isEqualTo(Level.INFO);
            assertThat(f.fileOffset()).isEqualTo(2 * CB);
        });
        assertThat(r.severity()).isEqualTo(Severity.CLEAN);
    }

    @Test
    void fragmentationIsCountedLikeQemu() throws Exception {
        Path p = dir.resolve("root.hdd");
        Image.create(p, new CreateOptions(4 * CB, CS, 2));
        try (Image img = Image.open(p, true)) {
            for (int v = 3; v >= 0; v--) {
                img.write(v * CB, ByteBuffer.wrap(filled(CB, (byte) v)));
            }
        }
        CheckReport r = ImageChecker.check(p, CheckOptions.reportOnly());
        assertThat(r.allocatedClusters()).isEqualTo(4);
        // File clusters 4,3,2,1 for virtual 0..3: every step goes backwards.
        assertThat(r.fragmentedClusters()).isEqualTo(3);
    }

    @Test
    void repairRefusesAnImageLockedByAnotherHolderButReadOnlyCheckRuns() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 2);
        try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(p,
                java.nio.file.StandardOpenOption.READ, java.nio.file.StandardOpenOption.WRITE);
                java.nio.channels.FileLock lock = ch.lock()) {
            assertThatThrownBy(() -> ImageChecker.check(p, FORCE)).isInstanceOf(ImageLockedException.class)
                    .hasMessageContaining("-r");
            assertThat(ImageChecker.check(p, CheckOptions.reportOnly()).severity()).isEqualTo(Severity.CLEAN);
        }
    }

    @Test
    void v1MayLeaveTheDataOffsetZeroAsQemuAllows() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 1, 4, 2);
        putInt(p, FIRST_BLOCK, 0);
        CheckReport r = ImageChecker.check(p, CheckOptions.reportOnly());
        assertThat(r.severity()).as(r.findings().toString()).isEqualTo(Severity.CLEAN);
    }

    @Test
    void missingFileIsAnIoErrorNotAFinding() {
        assertThatThrownBy(() -> ImageChecker.check(dir.resolve("nope"), CheckOptions.reportOnly()))
                .isInstanceOf(java.nio.file.NoSuchFileException.class);
    }

    @Test
    void reportSummaryNamesTheVerdict() throws Exception {
        Path p = make(dir.resolve("root.hdd"), CS, 2, 4, 1);
        append(p, new byte[10]);
        CheckReport r = ImageChecker.check(p, FORCE);
        assertThat(r.summary()).contains("repaired").contains(p.toString());
        assertThat(Arrays.asList(Severity.values())).containsExactly(Severity.CLEAN, Severity.FIXED,
                Severity.ERRORS_REMAIN, Severity.FATAL);
    }
}
