package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.Image;
import dev.jvz.node.NodeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InitCommandTest {
    @TempDir
    Path dir;

    @AfterEach
    void restoreFormatter() {
        InitCommand.formatter = REAL_FORMATTER;
        InitCommand.toolCheck = REAL_TOOL_CHECK;
    }

    private static final InitCommand.Formatter REAL_FORMATTER = InitCommand.formatter;
    private static final java.util.function.Supplier<List<String>> REAL_TOOL_CHECK = InitCommand.toolCheck;

    @Test
    void createsAnEmptyDeltaOfTheGivenSizeAndItsDescriptor() throws Exception {
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "init", "-t", "none", "-s", "10G", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        Path xml = dir.resolve("DiskDescriptor.xml");
        assertThat(r.out()).isEqualTo("created " + img + ": ploop v2, 10 GiB (10737418240 bytes), 1 MiB clusters, "
                + "no file system; descriptor " + xml + "\n");
        try (Image i = Image.open(img, false)) {
            assertThat(i.size()).isEqualTo(10L << 30);
            assertThat(i.version()).isEqualTo(2);
            assertThat(i.clusterSectors()).isEqualTo(2048);
        }
        try (Disk d = Disk.open(xml)) {
            assertThat(d.descriptor().activeChain()).extracting(DiskDescriptor.ImageEntry::file)
                    .containsExactly("root.hdd");
            assertThat(d.descriptor().diskSizeSectors()).isEqualTo((10L << 30) / 512);
        }
    }

    @Test
    void ext4IsTheDefaultAndFormatsThroughTheNodePathWithTheDiskUnlocked() throws Exception {
        InitCommand.toolCheck = List::of;
        List<Path> formatted = new ArrayList<>();
        InitCommand.formatter = xml -> {
            // The node opens (and locks) the disk itself, so init must have released it by now.
            try (Disk d = Disk.open(xml)) {
                formatted.add(d.descriptorPath());
            } catch (Exception e) {
                throw new java.io.IOException(e);
            }
        };
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "init", "--json", "-s", "64M", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(formatted).containsExactly(dir.resolve("DiskDescriptor.xml"));
        assertThat(Json.mapper().readTree(r.out()).get("filesystem").asText()).isEqualTo("ext4");
    }

    @Test
    void missingFormatToolsAreNamedAndNothingIsCreated() {
        InitCommand.toolCheck = () -> List.of("nbdfuse (package libnbd-bin)");
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "init", "-s", "64M", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.MKFS);
        assertThat(r.errLines()).containsExactly("jvz ploop init: cannot create the ext4 file system: missing "
                + "nbdfuse (package libnbd-bin); install them (scripts/install-deps.sh), or use -t none for a disk "
                + "without a file system");
        assertThat(dir).isEmptyDirectory();
    }

    @Test
    void aFailedMkfsRemovesEverythingInitCreatedSoARetryWorks() throws Exception {
        InitCommand.toolCheck = List::of;
        InitCommand.formatter = xml -> {
            throw new NodeException(NodeException.Kind.TOOL, "'mkfs.ext4 -q /dev/loop7' failed (exit 1): boom");
        };
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "init", "-s", "64M", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.MKFS);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("cannot create the ext4 file system on " + img, "boom", "run init again");
        assertThat(dir).isEmptyDirectory();

        InitCommand.formatter = xml -> {};
        Cli.Result retry = Cli.run("ploop", "init", "-s", "64M", img.toString());
        assertThat(retry.exitCode()).as(retry.toString()).isZero();
        assertThat(img).exists();
        assertThat(dir.resolve("DiskDescriptor.xml")).exists();
    }

    @Test
    void anUnsupportedFileSystemIsAUsageError() {
        Cli.Result r = Cli.run("ploop", "init", "-t", "ext3", "-s", "1G", dir.resolve("x.hdd").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("'ext3' is not a supported file system: use ext4 or none");
        assertThat(dir).isEmptyDirectory();
    }

    @ParameterizedTest(name = "-s {0} -b {1} -v {2} -> {3} bytes")
    @CsvSource({
        "2048, 2048, 2, 1048576",        // plain number = sectors, as ploop
        "1000, 2048, 2, 1048576",        // rounded up to whole clusters
        "100M, 64, 1, 104857600",
        "1T, 131072, 2, 1099511627776",
    })
    void followsPloopSizeAndFormatOptions(String size, int sectors, int version, long bytes) throws Exception {
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "init", "-t", "none", "--json", "-s", size, "-b", "" + sectors, "-v", "" + version,
                img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("file", "descriptor", "filesystem", "version",
                "virtual_size", "cluster_size", "file_size");
        assertThat(j.get("virtual_size").asLong()).isEqualTo(bytes);
        assertThat(j.get("version").asInt()).isEqualTo(version);
        assertThat(j.get("cluster_size").asLong()).isEqualTo(sectors * 512L);
        assertThat(j.get("file_size").asLong()).isEqualTo(Files.size(img));
        try (Image i = Image.open(img, false)) {
            assertThat(i.size()).isEqualTo(bytes);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
        "-s 10X            | '10X' is not a size",
        "-s 1.5G           | '1.5G' is not a size",
        "-b 100 -s 1G      | 100 sectors is not a valid cluster size",
        "-b 262144 -s 1G   | 262144 sectors is not a valid cluster size",
        "-v 3 -s 1G        | '3' is not a format version",
        "\"\"                | Missing required option: '--size=SIZE'",
    })
    void badValuesAreOneLineUsageErrors(String args, String message) {
        List<String> argv = new ArrayList<>(List.of("ploop", "init", "-t", "none"));
        if (!args.isBlank()) {
            argv.addAll(List.of(args.trim().split("\\s+")));
        }
        argv.add(dir.resolve("x.hdd").toString());
        Cli.Result r = Cli.run(argv.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("jvz ploop init: ").contains(message);
        assertThat(dir.resolve("x.hdd")).doesNotExist();
    }

    @Test
    void aV1ImageOverTwoTebibytesIsRefusedWithParamExit() {
        Cli.Result r = Cli.run("ploop", "init", "-t", "none", "-v", "1", "-s", "3T", dir.resolve("x.hdd").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.PARAM);
        assertThat(r.errLines()).containsExactly("jvz ploop init: a v1 image holds at most 2 TiB; use -v 2");
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Path img = Files.writeString(dir.resolve("root.hdd"), "precious");
        Cli.Result r = Cli.run("ploop", "init", "-t", "none", "-s", "1G", img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains(img + ": already exists");
        assertThat(Files.readString(img)).isEqualTo("precious");
    }
}
