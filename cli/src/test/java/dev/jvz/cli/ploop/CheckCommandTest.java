package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.CheckReport;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.PloopFormat;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    /** Byte offset of BAT entry {@code n}: right after the 64-byte header. */
    static int bat(int n) {
        return PloopFormat.HEADER_SIZE + 4 * n;
    }

    @TempDir
    Path dir;

    private Path image() throws Exception {
        return Images.withData(dir.resolve("root.hdd"), 8, 0, 1);
    }

    /** Appends a cluster no entry uses: what a crash between data write and BAT update leaves. */
    private static void leakOneCluster(Path img) throws Exception {
        try (FileChannel ch = FileChannel.open(img, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
            ch.write(ByteBuffer.allocate((int) Images.MIB));
        }
    }

    @Test
    void exitCodesAreTheOnesTheCheckerReports() {
        assertThat(ExitCodes.OK).isEqualTo(CheckReport.EXIT_OK);
        assertThat(ExitCodes.CORRUPTED).isEqualTo(CheckReport.EXIT_PLOOPFMT);
        assertThat(ExitCodes.IN_USE).isEqualTo(CheckReport.EXIT_PLOOPINUSE);
        assertThat(ExitCodes.BUSY).isEqualTo(CheckReport.EXIT_EBUSY);
        assertThat(ExitCodes.LOCKED).isEqualTo(CheckReport.EXIT_LOCK);
        assertThat(ExitCodes.WRITE).isEqualTo(CheckReport.EXIT_WRITE);
    }

    @Test
    void aCleanImageIsSkippedUnlessForced() throws Exception {
        Path img = image();
        Cli.Result r = Cli.run("ploop", "check", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out().lines().toList()).hasSize(2);
        assertThat(r.out()).startsWith("info: " + img + ": image is clean (not marked in use), check skipped; "
                + "use -f to check it anyway\n");
        Cli.Result f = Cli.run("ploop", "check", "-f", img.toString());
        assertThat(f.exitCode()).as(f.toString()).isZero();
        assertThat(f.out().lines().toList().getLast()).startsWith(img + ": clean; 2 allocated cluster(s)");
    }

    @Test
    void aBadEntryIsFatalUntilHardForceClearsIt() throws Exception {
        Path img = image();
        Images.pokeHeader(img, bat(1), 1000); // cluster 1000 of a 3-cluster file
        String before = Disks.sha256(img);
        Cli.Result r = Cli.run("ploop", "check", "-f", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.CORRUPTED);
        assertThat(r.out()).contains("fatal: " + img + ": BAT entry 1 points past the end of the file");
        assertThat(r.out().lines().toList().getLast()).startsWith(img + ": fatal errors, nothing was modified");
        assertThat(r.err()).isEmpty();
        assertThat(Disks.sha256(img)).isEqualTo(before);

        Cli.Result fixed = Cli.run("ploop", "check", "-F", img.toString());
        assertThat(fixed.exitCode()).as(fixed.toString()).isZero();
        assertThat(fixed.out()).contains("BAT entry 1 points past the end of the file", "[repaired]");
        assertThat(Cli.run("ploop", "check", "-f", img.toString()).exitCode()).isZero();
    }

    @Test
    void readOnlyNeverModifiesTheFileWhateverElseIsAsked() throws Exception {
        Path img = image();
        Images.pokeHeader(img, 44, PloopFormat.INUSE_OPEN);
        Images.pokeHeader(img, bat(1), 1000);
        leakOneCluster(img);
        String before = Disks.sha256(img);
        long size = Files.size(img);
        Cli.Result r = Cli.run("ploop", "check", "-r", "-f", "-F", "-d", "-c", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.CORRUPTED);
        assertThat(r.out()).doesNotContain("[repaired]");
        assertThat(Disks.sha256(img)).isEqualTo(before);
        assertThat(Files.size(img)).isEqualTo(size);
    }

    @Test
    void anImageMarkedInUseIsOnlyReportedWithoutDropInUse() throws Exception {
        Path img = image();
        Images.pokeHeader(img, 44, PloopFormat.INUSE_OPEN);
        leakOneCluster(img);
        Cli.Result r = Cli.run("ploop", "check", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.CORRUPTED); // the leak remains too
        Cli.Result d = Cli.run("ploop", "check", "-d", img.toString());
        assertThat(d.exitCode()).as(d.toString()).isZero();
        assertThat(d.out()).contains("[repaired]");
        assertThat(Files.size(img)).isEqualTo(3 * Images.MIB);
        JsonNode info = Json.mapper().readTree(Cli.run("ploop", "info", "--json", img.toString()).out());
        assertThat(info.get("deltas").get(0).get("in_use").asBoolean()).isFalse();
    }

    @Test
    void theInUseMarkAloneGivesExitPloopInUse() throws Exception {
        Path img = image();
        Images.pokeHeader(img, 44, PloopFormat.INUSE_OPEN);
        Cli.Result r = Cli.run("ploop", "check", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.IN_USE);
        assertThat(r.out()).contains("image is marked in use");
    }

    @Test
    void jsonPrintsTheReportsWithTheirFindings() throws Exception {
        Path img = image();
        leakOneCluster(img);
        Cli.Result r = Cli.run("ploop", "check", "--json", "-f", "-r", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.CORRUPTED);
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("target", "exit_code", "reports", "not_checked");
        assertThat(j.get("exit_code").asInt()).isEqualTo(ExitCodes.CORRUPTED);
        JsonNode rep = j.get("reports").get(0);
        assertThat(InfoCommandTest.fieldNames(rep)).containsExactly("file", "severity", "exit_code", "version",
                "cluster_size", "file_size_before", "file_size_after", "allocated_clusters", "fragmented_clusters",
                "leaked_clusters", "leaked_bytes", "image_end_offset", "modified", "findings");
        assertThat(rep.get("file").asText()).isEqualTo(img.toString());
        assertThat(rep.get("severity").asText()).isEqualTo("ERRORS_REMAIN");
        assertThat(rep.get("leaked_clusters").asLong()).isEqualTo(1);
        assertThat(rep.get("modified").asBoolean()).isFalse();
        JsonNode leak = rep.get("findings").get(0);
        assertThat(InfoCommandTest.fieldNames(leak)).containsExactly("kind", "level", "bat_index", "file_offset",
                "message", "repaired");
        assertThat(leak.get("kind").asText()).isEqualTo("LEAK");
        assertThat(leak.get("level").asText()).isEqualTo("ERROR");
    }

    @Test
    void aDescriptorChecksEveryDeltaOfTheChainAndDropsTheMark() throws Exception {
        Path xml = Disks.create(dir.resolve("root.hdd"), 16);
        Disks.write(xml, 0, 1);
        Cli.run("ploop", "snapshot", xml.toString());
        Disks.write(xml, 1, 2);
        Path top;
        Path base = dir.resolve("root.hdd/root.hdd");
        try (Disk d = Disk.open(xml)) {
            top = d.fileOf(DiskDescriptor.TOP_GUID);
        }
        Images.pokeHeader(top, 44, PloopFormat.INUSE_OPEN); // as after a crash of whatever had it mounted
        String baseHash = Disks.sha256(base);
        Cli.Result r = Cli.run("ploop", "check", "--json", dir.resolve("root.hdd").toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode reps = Json.mapper().readTree(r.out()).get("reports");
        assertThat(reps).hasSize(2);
        assertThat(reps.get(0).get("file").asText()).isEqualTo(base.toString());
        assertThat(reps.get(1).get("file").asText()).isEqualTo(top.toString());
        assertThat(reps.get(1).get("severity").asText()).isEqualTo("FIXED");
        assertThat(Disks.sha256(base)).as("lower deltas are checked read-only").isEqualTo(baseHash);
        assertThat(Disks.read(xml, 1)).isEqualTo(2);
    }

    @Test
    void aDescriptorCheckStopsAtTheFirstBadDelta() throws Exception {
        Path xml = Disks.create(dir.resolve("root.hdd"), 16);
        Disks.write(xml, 0, 1);
        Disks.write(xml, 1, 1);
        Cli.run("ploop", "snapshot", xml.toString());
        Path base = dir.resolve("root.hdd/root.hdd");
        Images.pokeHeader(base, bat(1), 1000);
        Cli.Result r = Cli.run("ploop", "check", "-f", xml.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.CORRUPTED);
        assertThat(r.out()).contains("fatal: " + base + ": BAT entry 1 points past the end", "not checked: ",
                "(an earlier delta is not clean)");
    }

    @Test
    void uuidIsOnlyForADescriptorAndMustExist() throws Exception {
        Path img = image();
        Cli.Result r = Cli.run("ploop", "check", "-u", DiskDescriptor.TOP_GUID, img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("-u is only for a DiskDescriptor.xml");
        Path xml = Disks.create(dir.resolve("d"), 8);
        Cli.Result missing = Cli.run("ploop", "check", "-u", "{11111111-2222-3333-4444-555555555555}",
                xml.toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.NO_SNAPSHOT);
        assertThat(missing.err()).contains("no snapshot {11111111-2222-3333-4444-555555555555}");
    }

    @Test
    void repairingADeltaOfAMountedDiskIsRefusedButReadOnlyWorks() throws Exception {
        Path xml = Disks.create(dir.resolve("root.hdd"), 8);
        Disks.write(xml, 0, 1);
        Path delta = dir.resolve("root.hdd/root.hdd");
        Images.pokeHeader(delta, 44, PloopFormat.INUSE_OPEN); // as while a node serves it
        String before = Disks.sha256(delta);
        try (Disk held = Disk.open(xml)) {
            Cli.Result r = Cli.run("ploop", "check", "-d", delta.toString());
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.LOCKED);
            assertThat(r.errLines()).containsExactly("jvz ploop check: " + xml + " is in use (mounted?) by pid "
                    + ProcessHandle.current().pid() + "; run 'jvz ploop umount " + xml + "' first, or use the node");
            Cli.Result ro = Cli.run("ploop", "check", "-r", delta.toString());
            assertThat(ro.exitCode()).as(ro.toString()).isEqualTo(ExitCodes.IN_USE);
        }
        assertThat(Disks.sha256(delta)).isEqualTo(before);
        Cli.Result after = Cli.run("ploop", "check", "-d", delta.toString());
        assertThat(after.exitCode()).as(after.toString()).isZero();
    }

    @Test
    void aMissingFileIsExitOpen() {
        Cli.Result r = Cli.run("ploop", "check", dir.resolve("nope.hdd").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.OPEN);
        assertThat(r.errLines()).hasSize(1);
    }
}
