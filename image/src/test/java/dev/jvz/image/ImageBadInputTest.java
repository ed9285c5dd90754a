package dev.jvz.image;

import static dev.jvz.image.Corrupt.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import dev.jvz.image.CheckReport.Kind;
import dev.jvz.image.CheckReport.Level;
import dev.jvz.image.CheckReport.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Damaged input: {@link Image#open} must fail with a clear {@link ImageCorruptedException} (never a
 * runtime exception, never an allocation the size of a lying header), {@link ImageChecker} must name
 * the problem, and neither may change a byte of the file unless a repair was asked for and possible.
 */
class ImageBadInputTest {
    @TempDir
    Path dir;

    static final int CS = 64;
    static final long CB = CS * 512L;

    record Bad(String name, ImageCheckerTest.Damage damage, String openMessage, Kind kind) {
        @Override
        public String toString() {
            return name;
        }
    }

    static List<Bad> bad() {
        return List.of(
                new Bad("truncated header", (p, v) -> truncate(p, 63), "truncated header", Kind.TRUNCATED_HEADER),
                new Bad("empty file", (p, v) -> truncate(p, 0), "truncated header", Kind.TRUNCATED_HEADER),
                new Bad("wrong signature", (p, v) -> putInt(p, 4, 0), "wrong signature", Kind.BAD_SIGNATURE),
                new Bad("cluster size not a power of two", (p, v) -> putInt(p, SECTORS, 96), "cluster size 96",
                        Kind.BAD_CLUSTER_SIZE),
                new Bad("BAT entry past EOF", (p, v) -> setBat(p, 1, entry(v, CS, 1000)), "past end of file",
                        Kind.ENTRY_PAST_EOF),
                new Bad("duplicate BAT entries", (p, v) -> setBat(p, 0, bat(p, 1)), "uses too", Kind.DUPLICATE),
                new Bad("batEntries far larger than the file", (p, v) -> {
                    putInt(p, BAT_ENTRIES, 0x7FFF_0000);
                    putInt(p, SIZE, 0x7FFF_0000); // keeps sizeInSectors within the BAT for both versions
                }, "overlaps the BAT of 2147418112 entries", Kind.BAT_PAST_EOF),
                new Bad("BAT past EOF with a matching data offset", (p, v) -> {
                    putInt(p, BAT_ENTRIES, 100_000);
                    putInt(p, SIZE, 100_000 * CS);
                    putInt(p, FIRST_BLOCK, (int) PloopFormat.headerClusters(100_000, CS) * CS);
                }, "the file is truncated or its header is damaged", Kind.BAT_PAST_EOF));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bad")
    void badInputFailsClearlyAndLeavesTheFileAlone(Bad b) throws Exception {
        for (int version = 1; version <= 2; version++) {
            Path p = make(dir.resolve("v" + version + ".hdd"), CS, version, 4, 3);
            b.damage().apply(p, version);
            String before = sha256(p);
            for (boolean writable : new boolean[] {false, true}) {
                assertThatThrownBy(() -> Image.open(p, writable).close())
                        .isInstanceOf(ImageCorruptedException.class)
                        .hasMessageContaining(p.toString())
                        .hasMessageContaining(b.openMessage());
                assertThat(sha256(p)).as("open(%s) changed the file", writable).isEqualTo(before);
            }
            for (CheckOptions o : List.of(CheckOptions.reportOnly(), new CheckOptions(true, true, false, true, true,
                    false))) {
                CheckReport r = ImageChecker.check(p, o);
                assertThat(r.findings(b.kind())).as(r.findings().toString()).isNotEmpty()
                        .allSatisfy(f -> assertThat(f.message()).contains(p.toString()));
                if (o.hardForce() && b.kind() == Kind.ENTRY_PAST_EOF) {
                    // -F was asked for: the entry is cleared, only that cluster's data is gone.
                    assertThat(r.severity()).isEqualTo(Severity.FIXED);
                    assertThat(r.findings(b.kind()).getFirst().repaired()).isTrue();
                } else {
                    assertThat(r.severity()).isEqualTo(Severity.FATAL);
                    assertThat(r.findings(b.kind()).getFirst().level()).isEqualTo(Level.FATAL);
                    assertThat(sha256(p)).as("check %s changed the file", o).isEqualTo(before);
                }
            }
        }
    }

    @Test
    void everyTruncationOfTheHeaderAndBatIsRefusedCleanly() throws Exception {
        Path good = make(dir.resolve("good.hdd"), CS, 2, 4, 3);
        byte[] bytes = Files.readAllBytes(good);
        Path p = dir.resolve("cut.hdd");
        // One byte at a time through the header and BAT (80 bytes), then at cluster boundaries.
        List<Integer> lengths = new java.util.ArrayList<>();
        for (int len = 0; len <= 100; len++) {
            lengths.add(len);
        }
        for (int len = (int) CB / 2; len <= 4 * CB; len += (int) CB / 2) {
            lengths.add(len - 1);
            lengths.add(len);
        }
        for (int len : lengths) {
            Files.write(p, java.util.Arrays.copyOf(bytes, len));
            String before = sha256(p);
            try {
                Image.open(p, false).close();
                // Only a file holding the whole BAT and every cluster it names may open.
                assertThat(len).isGreaterThanOrEqualTo(4 * (int) CB);
            } catch (ImageCorruptedException e) {
                assertThat(e.getMessage()).contains(p.toString());
            }
            CheckReport r = ImageChecker.check(p, CheckOptions.reportOnly());
            assertThat(r.clean()).as("length " + len).isEqualTo(len >= 4 * CB);
            assertThat(sha256(p)).isEqualTo(before);
        }
    }

    @Test
    @Timeout(120) // a hang here once was an overflow in the checker; fail instead of stalling the build
    void randomDamageToHeaderAndBatNeverEscapesAsARuntimeException() throws Exception {
        long seed = Long.getLong("jvz.fuzz.seed", new Random().nextLong());
        Random r = new Random(seed);
        for (int version = 1; version <= 2; version++) {
            Path good = make(dir.resolve("good" + version + ".hdd"), CS, version, 8, 5);
            byte[] bytes = Files.readAllBytes(good);
            Path p = dir.resolve("fuzz.hdd");
            for (int i = 0; i < 80; i++) {
                byte[] b = bytes.clone();
                int flips = 1 + r.nextInt(4);
                for (int f = 0; f < flips; f++) {
                    b[r.nextInt(64 + 8 * 4)] = (byte) r.nextInt(256); // header or BAT
                }
                Files.write(p, b);
                String before = sha256(p);
                String what = "seed " + seed + " v" + version + " iteration " + i;
                if (Boolean.getBoolean("jvz.fuzz.debug")) {
                    System.err.println("FUZZ " + what + " " + java.util.HexFormat.of().formatHex(b, 0, 96));
                }
                try {
                    Image.open(p, false).close();
                } catch (ImageException e) {
                    assertThat(e.getMessage()).as(what).contains(p.toString());
                } catch (RuntimeException e) {
                    fail(what + ": open threw " + e, e);
                }
                CheckReport ro;
                try {
                    ro = ImageChecker.check(p, CheckOptions.reportOnly());
                } catch (RuntimeException e) {
                    throw new AssertionError(what + ": read-only check threw " + e, e);
                }
                assertThat(sha256(p)).as(what).isEqualTo(before);
                CheckReport fix = ImageChecker.check(p, CheckOptions.repairAll());
                if (fix.severity() == Severity.FATAL) {
                    assertThat(sha256(p)).as(what).isEqualTo(before);
                } else {
                    if (ro.severity() == Severity.CLEAN) {
                        assertThat(fix.modified()).as(what).isFalse();
                    }
                    Image.open(p, true).close();
                    CheckReport again = ImageChecker.check(p, CheckOptions.reportOnly());
                    assertThat(again.severity()).as(what + ": " + again.findings()).isEqualTo(Severity.CLEAN);
                }
            }
        }
    }
}
