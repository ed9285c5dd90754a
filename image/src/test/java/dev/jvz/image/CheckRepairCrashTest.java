package dev.jvz.image;

import static dev.jvz.image.Corrupt.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.CheckReport.Severity;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A crash in the middle of a repair must leave an image that is still marked in use (so nothing
 * writes it unchecked) and that a second check repairs to exactly the result of an uninterrupted
 * repair. The repair's own writes, truncations and syncs are recorded and every prefix, and every
 * order of the changes between two syncs, is rebuilt on a copy of the damaged file.
 */
class CheckRepairCrashTest {
    @TempDir
    Path dir;

    /** A write (data != null) or a truncation (size). */
    record Change(long offset, byte[] data, long size) {}

    @ParameterizedTest(name = "{0} sectors, v{1}")
    @CsvSource({"64,1", "64,2", "2048,2"})
    void aRepairInterruptedAnywhereIsFinishedByTheNextCheck(int clusterSectors, int version) throws Exception {
        long cb = clusterSectors * 512L;
        // Damage that needs every kind of write: duplicates to copy, an entry to clear, a tail to cut,
        // a wrong empty flag and the inUse mark in the header.
        Path damaged = make(dir.resolve("damaged.hdd"), clusterSectors, version, 6, 5);
        setBat(damaged, 4, bat(damaged, 1));
        setBat(damaged, 3, bat(damaged, 0));
        setBat(damaged, 5, entry(version, clusterSectors, 3)); // file cluster 3 was entry 2's; 5 is the last
        putInt(damaged, SIZE, 5 * clusterSectors);             // entry 5 is now beyond the virtual size
        putInt(damaged, FLAGS, PloopFormat.FLAG_EMPTY);
        putInt(damaged, IN_USE, PloopFormat.INUSE_OPEN);
        append(damaged, filled(cb + 77, (byte) 0x33));
        byte[] damagedBytes = Files.readAllBytes(damaged);

        Path full = dir.resolve("full.hdd");
        Files.write(full, damagedBytes);
        List<Change> changes = new ArrayList<>();
        List<Integer> syncs = new ArrayList<>(List.of(0));
        CheckReport r = ImageChecker.check(full, CheckOptions.repairAll(), new ImageChecker.RepairListener() {
            @Override
            public void wrote(long offset, byte[] data) {
                changes.add(new Change(offset, data, -1));
            }

            @Override
            public void truncated(long size) {
                changes.add(new Change(-1, null, size));
            }

            @Override
            public void synced() {
                syncs.add(changes.size());
            }
        });
        assertThat(r.severity()).as(r.findings().toString()).isEqualTo(Severity.FIXED);
        assertThat(apply(damagedBytes, changes)).as("the record is complete").isEqualTo(Files.readAllBytes(full));
        assertThat(syncs.getLast()).isEqualTo(changes.size());
        byte[] expected = content(full);
        // What the damaged image read, entry by entry (the virtual size shrank to 5 clusters).
        assertThat(cluster(expected, 4, cb)).isEqualTo(cluster(expected, 1, cb));
        assertThat(cluster(expected, 3, cb)).isEqualTo(cluster(expected, 0, cb));

        Path crash = dir.resolve("crash.hdd");
        int states = 0;
        for (int w = 0; w + 1 < syncs.size(); w++) {
            int from = syncs.get(w);
            int to = syncs.get(w + 1);
            byte[] base = apply(damagedBytes, changes.subList(0, from));
            int n = to - from;
            assertThat(n).isLessThanOrEqualTo(10);
            for (int mask = 0; mask < (1 << n); mask++) {
                List<Change> subset = new ArrayList<>();
                for (int b = 0; b < n; b++) {
                    if ((mask & (1 << b)) != 0) {
                        subset.add(changes.get(from + b));
                    }
                }
                Files.write(crash, apply(base, subset));
                String what = "changes " + from + ".." + (to - 1) + " subset " + Integer.toBinaryString(mask);
                boolean finished = to == changes.size() && mask == (1 << n) - 1;
                if (!finished) {
                    assertThat(header(crash).isInUse()).as(what + ": still marked in use").isTrue();
                    assertThatThrownBy(() -> Image.open(crash, true)).as(what)
                            .isInstanceOf(ImageInUseException.class);
                }
                CheckReport again = ImageChecker.check(crash, CheckOptions.repairAll());
                assertThat(again.clean()).as(what + ": " + again.findings()).isTrue();
                assertThat(content(crash)).as(what).isEqualTo(expected);
                assertThat(Files.size(crash)).as(what).isEqualTo(Files.size(full));
                Image.open(crash, true).close();
                states++;
            }
        }
        assertThat(states).isGreaterThan(5);
    }

    private static byte[] apply(byte[] file, List<Change> changes) {
        byte[] f = file;
        for (Change c : changes) {
            if (c.data() == null) {
                f = Arrays.copyOf(f, (int) c.size());
            } else {
                long end = c.offset() + c.data().length;
                if (end > f.length) {
                    f = Arrays.copyOf(f, (int) end);
                }
                System.arraycopy(c.data(), 0, f, (int) c.offset(), c.data().length);
            }
        }
        return f;
    }
}
