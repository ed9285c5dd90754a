package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Image;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImportExportCommandTest {
    @TempDir
    Path dir;

    /** 5.5 MiB: random data in MiB 0 and 3, a few bytes in MiB 5, zeros elsewhere; ends mid-cluster. */
    private Path raw() throws Exception {
        long seed = 42;
        byte[] b = new byte[(int) (5.5 * Images.MIB)];
        Random rnd = new Random(seed);
        byte[] chunk = new byte[(int) Images.MIB];
        rnd.nextBytes(chunk);
        System.arraycopy(chunk, 0, b, 0, chunk.length);
        rnd.nextBytes(chunk);
        System.arraycopy(chunk, 0, b, (int) (3 * Images.MIB), chunk.length);
        b[(int) (5 * Images.MIB) + 7] = 1;
        return Files.write(dir.resolve("disk.raw"), b);
    }

    @Test
    void importThenExportRoundTripsTheDisk() throws Exception {
        Path raw = raw();
        Path img = dir.resolve("root.hdd");
        Cli.Result imp = Cli.run("ploop", "import", raw.toString(), img.toString());
        assertThat(imp.exitCode()).as(imp.toString()).isZero();
        assertThat(imp.err()).as("no progress when stderr is not a terminal").isEmpty();
        assertThat(imp.out()).matches("imported " + raw + " to " + img
                + ": 6 MiB virtual, 3 MiB data, 3 zero clusters left as holes; \\d+\\.\\d s, .*/s\n");

        Path back = dir.resolve("back.raw");
        Cli.Result exp = Cli.run("ploop", "export", img.toString(), back.toString());
        assertThat(exp.exitCode()).as(exp.toString()).isZero();
        assertThat(exp.err()).isEmpty();
        assertThat(exp.out()).startsWith("exported " + img + " to " + back + ": 6 MiB virtual, 3 MiB data, ");

        byte[] original = Files.readAllBytes(raw);
        byte[] exported = Files.readAllBytes(back);
        assertThat(exported).hasSize((int) (6 * Images.MIB)); // virtual size is whole clusters
        assertThat(Arrays.equals(exported, 0, original.length, original, 0, original.length)).isTrue();
        for (int i = original.length; i < exported.length; i++) {
            assertThat(exported[i]).isZero();
        }
    }

    @Test
    void importJsonSummaryHasStableFields() throws Exception {
        Path raw = raw();
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "import", "--json", raw.toString(), img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(InfoCommandTest.fieldNames(j)).containsExactly("operation", "source", "target", "virtual_size",
                "data_bytes", "zero_clusters", "elapsed_seconds", "bytes_per_second");
        assertThat(j.get("operation").asText()).isEqualTo("import");
        assertThat(j.get("source").asText()).isEqualTo(raw.toString());
        assertThat(j.get("target").asText()).isEqualTo(img.toString());
        assertThat(j.get("virtual_size").asLong()).isEqualTo(6 * Images.MIB);
        assertThat(j.get("data_bytes").asLong()).isEqualTo(3 * Images.MIB);
        assertThat(j.get("zero_clusters").asLong()).isEqualTo(3);
        assertThat(j.get("elapsed_seconds").isNumber()).isTrue();
        assertThat(j.get("bytes_per_second").asLong()).isNotNegative();
    }

    @Test
    void exportJsonSummaryNamesTheOperation() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 4, 1);
        Cli.Result r = Cli.run("ploop", "export", "--json", img.toString(), dir.resolve("out.raw").toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(j.get("operation").asText()).isEqualTo("export");
        assertThat(j.get("data_bytes").asLong()).isEqualTo(Images.MIB);
        assertThat(j.get("zero_clusters").asLong()).isEqualTo(3);
    }

    @Test
    void importHonoursClusterSizeAndVersion() throws Exception {
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "import", "-q", "-b", "64", "-v", "1", raw().toString(), img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEmpty();
        try (Image i = Image.open(img, false)) {
            assertThat(i.version()).isEqualTo(1);
            assertThat(i.clusterSectors()).isEqualTo(64);
            assertThat(i.size()).isEqualTo((long) (5.5 * Images.MIB));
        }
    }

    @Test
    void importOfAMissingRawIsExitFourAndCreatesNothing() {
        Path img = dir.resolve("root.hdd");
        Cli.Result r = Cli.run("ploop", "import", dir.resolve("nope.raw").toString(), img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.OPEN);
        assertThat(r.errLines()).containsExactly(
                "jvz ploop import: " + dir.resolve("nope.raw") + ": no such file or directory");
        assertThat(img).doesNotExist();
    }

    @Test
    void importOfAnEmptyRawFails() throws Exception {
        Path raw = Files.createFile(dir.resolve("empty.raw"));
        Cli.Result r = Cli.run("ploop", "import", raw.toString(), dir.resolve("root.hdd").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.errLines()).containsExactly("jvz ploop import: " + raw + " is empty; nothing to import");
    }

    @Test
    void importNeverOverwritesAnExistingImage() throws Exception {
        Path img = Files.writeString(dir.resolve("root.hdd"), "precious");
        Cli.Result r = Cli.run("ploop", "import", raw().toString(), img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.errLines()).hasSize(1);
        assertThat(Files.readString(img)).isEqualTo("precious");
    }

    @Test
    void exportRefusesAnExistingRawUnlessForced() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 2, 0);
        Path out = Files.writeString(dir.resolve("out.raw"), "precious");
        Cli.Result r = Cli.run("ploop", "export", img.toString(), out.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.errLines()).containsExactly(
                "jvz ploop export: " + out + ": already exists; refusing to overwrite it");
        assertThat(Files.readString(out)).isEqualTo("precious");

        Cli.Result forced = Cli.run("ploop", "export", "-f", img.toString(), out.toString());
        assertThat(forced.exitCode()).as(forced.toString()).isZero();
        assertThat(Files.size(out)).isEqualTo(2 * Images.MIB);
    }

    @Test
    void exportOfACorruptImageIsOneLineExitEleven() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 2, 0);
        Images.pokeHeader(img, 28, 100); // cluster size 100 sectors: not a power of two
        Cli.Result r = Cli.run("ploop", "export", img.toString(), dir.resolve("out.raw").toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CORRUPTED);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("jvz ploop export: " + img + ": cluster size 100 sectors is invalid")
                .doesNotContain("\tat ");
        assertThat(dir.resolve("out.raw")).doesNotExist();
    }

    @Test
    void badArgumentsAreOneLineUsageErrors() throws Exception {
        Cli.Result v = Cli.run("ploop", "import", "-v", "5", raw().toString(), dir.resolve("a.hdd").toString());
        assertThat(v.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(v.errLines()).hasSize(1);
        assertThat(v.err()).contains("'5' is not a format version: use 1 or 2");

        Cli.Result missing = Cli.run("ploop", "export", "root.hdd");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(missing.errLines()).hasSize(1);
        assertThat(missing.err()).contains("RAW");

        Cli.Result extra = Cli.run("ploop", "export", "a", "b", "c");
        assertThat(extra.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(extra.errLines()).hasSize(1);
    }
}
