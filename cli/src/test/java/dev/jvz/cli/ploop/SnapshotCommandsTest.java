package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** snapshot, snapshot-list, snapshot-merge, merge, snapshot-delete, snapshot-switch and grow, in-process. */
class SnapshotCommandsTest {
    static final String TOP = DiskDescriptor.TOP_GUID;
    static final String S1 = "{0e4f1b9c-3a5d-4b2e-9f61-2d7c8a4e5b10}";
    static final String MISSING = "{11111111-2222-3333-4444-555555555555}";

    @TempDir
    Path tmp;
    Path hdd;
    Path xml;

    @BeforeEach
    void disk() throws Exception {
        hdd = tmp.resolve("root.hdd");
        xml = Disks.create(hdd, 16);
        Disks.write(xml, 0, 1);
    }

    private static JsonNode json(Cli.Result r) throws Exception {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return Json.mapper().readTree(r.out());
    }

    // ---- snapshot ----

    @Test
    void snapshotFreezesTheTopAndStartsANewOneKeepingTheData() throws Exception {
        Cli.Result r = Cli.run("ploop", "snapshot", "-u", S1.substring(1, 37), xml.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("snapshot " + S1 + " taken: " + hdd.resolve("root.hdd") + " is now read-only; "
                + "new top delta " + hdd.resolve("root.hdd") + ".{");
        try (Disk d = Disk.open(xml)) {
            assertThat(d.descriptor().activeChain()).hasSize(2);
            assertThat(d.descriptor().snapshot(TOP).parentGuid()).isEqualTo(S1);
        }
        Disks.write(xml, 0, 2);
        assertThat(Disks.read(xml, 0)).isEqualTo(2);
    }

    @Test
    void snapshotJsonHasItsFields() throws Exception {
        JsonNode j = json(Cli.run("ploop", "snapshot", "--json", hdd.toString()));
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("descriptor", "uuid", "snapshot_file", "top_file");
        assertThat(j.get("descriptor").asText()).isEqualTo(xml.toString());
        assertThat(DiskDescriptor.isValidGuid(j.get("uuid").asText())).isTrue();
        assertThat(j.get("snapshot_file").asText()).isEqualTo(hdd.resolve("root.hdd").toString());
        assertThat(Path.of(j.get("top_file").asText())).exists();
    }

    @Test
    void aMalformedUuidIsAUsageError() {
        Cli.Result r = Cli.run("ploop", "snapshot", "-u", "not-a-guid", xml.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("'not-a-guid' is not a snapshot UUID");
    }

    @ParameterizedTest
    @ValueSource(strings = {"snapshot", "snapshot-list", "snapshot-merge", "merge"})
    void aDeltaInsteadOfADescriptorIsAUsageError(String command) {
        Cli.Result r = Cli.run("ploop", command, hdd.resolve("root.hdd").toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("is not a DiskDescriptor.xml");
    }

    @ParameterizedTest
    @ValueSource(strings = {"snapshot", "snapshot-merge", "merge", "snapshot-delete -u " + S1,
        "snapshot-switch -u " + S1, "grow -s 32M", "check", "export"})
    void aDiskInUseIsRefusedWithOneLineAndExitLocked(String command) throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        String before = Files.readString(xml);
        List<String> argv = new java.util.ArrayList<>(List.of("ploop"));
        argv.addAll(List.of(command.split(" ")));
        argv.add(xml.toString());
        if (command.equals("export")) {
            argv.add(tmp.resolve("out.raw").toString());
        }
        try (Disk held = Disk.open(xml)) { // stands in for a node that has the disk mounted
            Cli.Result r = Cli.run(argv.toArray(String[]::new));
            assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.LOCKED);
            // merge is an alias: errors name the command by its canonical name, snapshot-merge.
            String name = command.split(" ")[0].equals("merge") ? "snapshot-merge" : command.split(" ")[0];
            assertThat(r.errLines()).containsExactly("jvz ploop " + name + ": " + xml
                    + " is in use (mounted?) by pid " + ProcessHandle.current().pid() + "; run 'jvz ploop umount "
                    + xml + "' first, or use the node");
        }
        assertThat(Files.readString(xml)).isEqualTo(before);
        assertThat(tmp.resolve("out.raw")).doesNotExist();
    }

    // ---- snapshot-list ----

    @Test
    void snapshotListPrintsPloopsColumns() throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        String top;
        try (Disk d = Disk.open(xml)) {
            top = d.fileOf(TOP).toString();
        }
        Cli.Result r = Cli.run("ploop", "snapshot-list", xml.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(String.format("%-38s %-1s %-38s %s%n", "PARENT_UUID", "C", "UUID", "FNAME")
                + String.format("%-38s %-1s %-38s %s%n", DiskDescriptor.NONE_GUID, "", S1, hdd.resolve("root.hdd"))
                + String.format("%-38s %-1s %-38s %s%n", S1, "*", TOP, top));
    }

    @Test
    void snapshotListHonoursNoHeaderFieldsAndUuid() throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        Cli.Result r = Cli.run("ploop", "snapshot-list", "-H", "-o", "UUID,current", "-u", S1, hdd.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo(S1 + "\n");
        Cli.Result chain = Cli.run("ploop", "snapshot-list", "-H", "-o", "uuid", "-u", TOP, xml.toString());
        assertThat(chain.out().lines().toList()).containsExactly(TOP, S1);
    }

    @Test
    void snapshotListJsonWorksWhileTheDiskIsLocked() throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        try (Disk held = Disk.open(xml)) {
            JsonNode j = json(Cli.run("ploop", "snapshot-list", "--json", xml.toString()));
            assertThat(InfoCommandTest.fieldNames(j)).containsExactly("descriptor", "top_uuid", "snapshots");
            assertThat(j.get("top_uuid").asText()).isEqualTo(TOP);
            JsonNode s = j.get("snapshots");
            assertThat(s).hasSize(2);
            assertThat(InfoCommandTest.fieldNames(s.get(0))).containsExactly("uuid", "parent_uuid", "current", "file",
                    "temporary");
            assertThat(s.get(0).get("uuid").asText()).isEqualTo(S1);
            assertThat(s.get(0).get("current").asBoolean()).isFalse();
            assertThat(s.get(1).get("current").asBoolean()).isTrue();
            assertThat(s.get(1).get("parent_uuid").asText()).isEqualTo(S1);
        }
    }

    @Test
    void snapshotListOfAnUnknownFieldIsAUsageErrorAndOfAnUnknownUuidFails() {
        Cli.Result f = Cli.run("ploop", "snapshot-list", "-o", "uuid,size", xml.toString());
        assertThat(f.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(f.err()).contains("unknown field 'size'");
        Cli.Result u = Cli.run("ploop", "snapshot-list", "-u", MISSING, xml.toString());
        assertThat(u.exitCode()).isEqualTo(ExitCodes.NO_SNAPSHOT);
        assertThat(u.errLines()).containsExactly("jvz ploop snapshot-list: no snapshot " + MISSING + " in " + xml
                + "; run 'jvz ploop snapshot-list " + xml + "' to see them");
    }

    // ---- snapshot-merge / merge ----

    @ParameterizedTest
    @ValueSource(strings = {"snapshot-merge", "merge"})
    void mergingTheTopKeepsTheDataAndRemovesItsFile(String command) throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        Disks.write(xml, 0, 2);
        Disks.write(xml, 3, 3);
        Path top;
        try (Disk d = Disk.open(xml)) {
            top = d.fileOf(TOP);
        }
        JsonNode j = json(Cli.run("ploop", command, "--json", xml.toString()));
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("descriptor", "uuid", "parent_uuid", "merged_file",
                "into_file");
        assertThat(j.get("uuid").asText()).isEqualTo(TOP);
        assertThat(j.get("parent_uuid").asText()).isEqualTo(S1);
        assertThat(j.get("merged_file").asText()).isEqualTo(top.toString());
        assertThat(j.get("into_file").asText()).isEqualTo(hdd.resolve("root.hdd").toString());
        assertThat(top).doesNotExist();
        assertThat(Disks.read(xml, 0)).isEqualTo(2);
        assertThat(Disks.read(xml, 3)).isEqualTo(3);
        try (Disk d = Disk.open(xml)) {
            assertThat(d.descriptor().activeChain()).hasSize(1);
        }
    }

    @Test
    void mergingAGivenSnapshotOrTheBaseOrAMissingOne() throws Exception {
        String s2 = "{22222222-2222-4222-8222-222222222222}";
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        Disks.write(xml, 1, 5);
        Cli.run("ploop", "snapshot", "-u", s2, xml.toString());
        Cli.Result r = Cli.run("ploop", "snapshot-merge", "-u", s2, xml.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("merged ", "(which now carries " + s2 + ")");
        assertThat(Disks.read(xml, 1)).isEqualTo(5);

        // The base's file now carries s2: S1 is gone from the descriptor.
        Cli.Result base = Cli.run("ploop", "snapshot-merge", "-u", s2, xml.toString());
        assertThat(base.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(base.err()).contains(s2 + " is the base image of " + xml + "; it has no parent to merge into");

        Cli.Result missing = Cli.run("ploop", "merge", "-u", MISSING, xml.toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.NO_SNAPSHOT);
        assertThat(missing.errLines()).containsExactly("jvz ploop snapshot-merge: no snapshot " + MISSING + " in " + xml
                + "; run 'jvz ploop snapshot-list " + xml + "' to see them");
    }

    // ---- snapshot-delete ----

    @Test
    void deletingASnapshotWithOneChildMergesTheChildIntoIt() throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        String s2 = "{33333333-3333-4333-8333-333333333333}";
        Disks.write(xml, 2, 7);
        Cli.run("ploop", "snapshot", "-u", s2, xml.toString());
        Path s2File;
        try (Disk d = Disk.open(xml)) {
            s2File = d.fileOf(s2);
        }
        JsonNode j = json(Cli.run("ploop", "snapshot-delete", "--json", "-u", s2, xml.toString()));
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("descriptor", "uuid", "action", "removed_file");
        assertThat(j.get("action").asText()).isEqualTo("merged_child");
        assertThat(j.get("removed_file").asText()).isNotEqualTo(s2File.toString());
        assertThat(Path.of(j.get("removed_file").asText())).doesNotExist();
        assertThat(Disks.read(xml, 2)).isEqualTo(7);
        assertThat(Disks.read(xml, 0)).isEqualTo(1);
    }

    @Test
    void deleteNeedsAUuidAndRefusesAMissingOne() {
        Cli.Result noUuid = Cli.run("ploop", "snapshot-delete", xml.toString());
        assertThat(noUuid.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(noUuid.err()).contains("Missing required option: '--uuid=UUID'");
        Cli.Result missing = Cli.run("ploop", "snapshot-delete", "-u", MISSING, xml.toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.NO_SNAPSHOT);
        assertThat(missing.err()).contains("no snapshot " + MISSING);
        Cli.Result top = Cli.run("ploop", "snapshot-delete", "-u", TOP, xml.toString());
        assertThat(top.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(top.err()).contains("is the active top");
    }

    // ---- snapshot-switch ----

    @Test
    void switchDiscardsWhatWasWrittenSinceTheSnapshot() throws Exception {
        Cli.run("ploop", "snapshot", "-u", S1, xml.toString());
        Disks.write(xml, 0, 9);
        Path oldTop;
        try (Disk d = Disk.open(xml)) {
            oldTop = d.fileOf(TOP);
        }
        JsonNode j = json(Cli.run("ploop", "snapshot-switch", "--json", "-u", S1, xml.toString()));
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("descriptor", "uuid", "discarded_file", "top_file");
        assertThat(j.get("discarded_file").asText()).isEqualTo(oldTop.toString());
        assertThat(oldTop).doesNotExist();
        assertThat(Path.of(j.get("top_file").asText())).exists();
        assertThat(Disks.read(xml, 0)).isEqualTo(1);
    }

    @Test
    void switchNeedsAnExistingUuid() {
        Cli.Result noUuid = Cli.run("ploop", "snapshot-switch", xml.toString());
        assertThat(noUuid.exitCode()).isEqualTo(ExitCodes.USAGE);
        Cli.Result missing = Cli.run("ploop", "snapshot-switch", "-u", MISSING, xml.toString());
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.NO_SNAPSHOT);
        assertThat(missing.errLines()).hasSize(1);
        assertThat(missing.err()).contains("no snapshot " + MISSING);
    }

    // ---- grow ----

    @Test
    void growMakesTheDiskLargerAndKeepsItsData() throws Exception {
        JsonNode j = json(Cli.run("ploop", "grow", "--json", "-s", "100M", xml.toString()));
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("descriptor", "old_size", "new_size");
        assertThat(j.get("old_size").asLong()).isEqualTo(16 * Disks.MIB);
        assertThat(j.get("new_size").asLong()).isEqualTo(100 * Disks.MIB);
        assertThat(Disks.read(xml, 0)).isEqualTo(1);
        JsonNode info = json(Cli.run("ploop", "info", "--json", xml.toString()));
        assertThat(info.get("virtual_size").asLong()).isEqualTo(100 * Disks.MIB);
        Cli.Result human = Cli.run("ploop", "grow", "-s", "1000000", hdd.toString()); // sectors, rounded up
        assertThat(human.out()).isEqualTo("grew " + xml + " from 100 MiB (104857600 bytes) to 489 MiB "
                + "(512753664 bytes)\n");
    }

    @Test
    void growRefusesABareDeltaAndShrinkingAndNeedsASize() throws Exception {
        Path delta = hdd.resolve("root.hdd");
        String hash = Disks.sha256(delta);
        Cli.Result bare = Cli.run("ploop", "grow", "-s", "1G", delta.toString());
        assertThat(bare.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(bare.errLines()).containsExactly("jvz ploop grow: " + delta + ": growing a bare delta file is not "
                + "supported; grow the disk through its DiskDescriptor.xml: jvz ploop grow -s SIZE "
                + "DIR/DiskDescriptor.xml");
        Cli.Result shrink = Cli.run("ploop", "grow", "-s", "8M", xml.toString());
        assertThat(shrink.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(shrink.err()).contains("cannot shrink");
        assertThat(Disks.sha256(delta)).isEqualTo(hash);
        Cli.Result noSize = Cli.run("ploop", "grow", xml.toString());
        assertThat(noSize.exitCode()).isEqualTo(ExitCodes.USAGE);
    }
}
