package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class InitCommandTest {
    @TempDir
    Path dir;

    @Test
    void createsAnEmptyDeltaOfTheGivenSize() throws Exception {
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "init", "-s", "10G", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("created " + img + ": ploop v2, 10 GiB (10737418240 bytes), 1 MiB clusters\n");
        try (Image i = Image.open(img, false)) {
            assertThat(i.size()).isEqualTo(10L << 30);
            assertThat(i.version()).isEqualTo(2);
            assertThat(i.clusterSectors()).isEqualTo(2048);
        }
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
        Cli.Result r = Cli.run("ploop", "init", "--json", "-s", size, "-b", "" + sectors, "-v", "" + version,
                img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("file", "version", "virtual_size", "cluster_size",
                "file_size");
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
        List<String> argv = new ArrayList<>(List.of("ploop", "init"));
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
        Cli.Result r = Cli.run("ploop", "init", "-v", "1", "-s", "3T", dir.resolve("x.hdd").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.PARAM);
        assertThat(r.errLines()).containsExactly("jvz ploop init: a v1 image holds at most 2 TiB; use -v 2");
    }

    @Test
    void anExistingFileIsNeverOverwritten() throws Exception {
        Path img = Files.writeString(dir.resolve("root.hdd"), "precious");
        Cli.Result r = Cli.run("ploop", "init", "-s", "1G", img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains(img + ": already exists");
        assertThat(Files.readString(img)).isEqualTo("precious");
    }
}
