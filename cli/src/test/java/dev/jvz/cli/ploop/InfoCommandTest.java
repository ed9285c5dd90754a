package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.PloopFormat;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class InfoCommandTest {
    @TempDir
    Path dir;

    @Test
    void showsSizeClusterVersionAllocationAndState() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 64, 0, 5);
        Cli.Result r = Cli.run("ploop", "info", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).isEqualTo("""
                image:             %s
                format:            ploop v2
                virtual size:      64 MiB (67108864 bytes)
                cluster size:      1 MiB (2048 sectors)
                allocated:         2 of 64 clusters (2 MiB)
                file size:         3 MiB (3145728 bytes)
                in use:            no
                flags:             none
                """.formatted(img));
    }

    @Test
    void jsonHasStableSnakeCaseFields() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 64, 3);
        Cli.Result r = Cli.run("ploop", "info", "--json", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(fieldNames(j)).containsExactly("virtual_size", "cluster_size", "cluster_sectors", "version",
                "clusters", "allocated_clusters", "deltas");
        assertThat(j.get("virtual_size").asLong()).isEqualTo(64 * Images.MIB);
        assertThat(j.get("cluster_size").asLong()).isEqualTo(Images.MIB);
        assertThat(j.get("cluster_sectors").asInt()).isEqualTo(2048);
        assertThat(j.get("version").asInt()).isEqualTo(2);
        assertThat(j.get("clusters").asLong()).isEqualTo(64);
        assertThat(j.get("allocated_clusters").asLong()).isEqualTo(1);
        JsonNode d = j.get("deltas").get(0);
        assertThat(j.get("deltas")).hasSize(1);
        assertThat(fieldNames(d)).containsExactly("file", "format", "version", "virtual_size", "file_size",
                "allocated_clusters", "allocated_bytes", "in_use", "flags");
        assertThat(d.get("file").asText()).isEqualTo(img.toString());
        assertThat(d.get("file_size").asLong()).isEqualTo(2 * Images.MIB);
        assertThat(d.get("allocated_bytes").asLong()).isEqualTo(Images.MIB);
        assertThat(d.get("in_use").isBoolean()).isTrue();
        assertThat(d.get("flags").isArray()).isTrue();
    }

    @Test
    void anImageMarkedInUseIsStillShownReadOnly() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 8);
        Images.pokeHeader(img, 44, PloopFormat.INUSE_OPEN);
        Cli.Result r = Cli.run("ploop", "info", "--json", img.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode d = Json.mapper().readTree(r.out()).get("deltas").get(0);
        assertThat(d.get("in_use").asBoolean()).isTrue();
        assertThat(d.get("flags").get(0).asText()).isEqualTo("empty");
        assertThat(Cli.run("ploop", "info", img.toString()).out())
                .contains("in use:            yes (open elsewhere, or not closed cleanly)");
    }

    @Test
    void quietPrintsNothing() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 8);
        Cli.Result r = Cli.run("ploop", "info", "-q", img.toString());
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).isEmpty();
    }

    @Test
    void corruptImageIsOneLineWithExitElevenAndNoStackTrace() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 8);
        Images.pokeHeader(img, 0, 0x6b726f57); // "Work" over the signature
        Cli.Result r = Cli.run("ploop", "info", img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CORRUPTED);
        assertThat(r.out()).isEmpty();
        assertThat(r.errLines()).containsExactly(
                "jvz ploop info: " + img + ": wrong signature (not a ploop/parallels image)");
    }

    @Test
    void stacktraceOptionAddsTheTrace() throws Exception {
        Path img = Images.withData(dir.resolve("root.hdd"), 8);
        Images.pokeHeader(img, 0, 0x6b726f57);
        Cli.Result r = Cli.run("ploop", "info", "--stacktrace", img.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.CORRUPTED);
        assertThat(r.errLines().getFirst()).startsWith("jvz ploop info: ");
        assertThat(r.err()).contains("dev.jvz.image.ImageCorruptedException", "\tat dev.jvz.image.PloopHeader.decode");
    }

    @Test
    void missingFileIsOneLineWithExitFour() {
        Path missing = dir.resolve("nope.hdd");
        Cli.Result r = Cli.run("ploop", "info", missing.toString());
        assertThat(r.exitCode()).isEqualTo(ExitCodes.OPEN);
        assertThat(r.errLines()).containsExactly("jvz ploop info: " + missing + ": no such file or directory");
    }

    @Test
    void missingArgumentIsAUsageError() {
        Cli.Result r = Cli.run("ploop", "info");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("IMAGE").contains("see 'jvz ploop info --help'");
    }

    @Test
    void unknownOptionIsAUsageError() {
        Cli.Result r = Cli.run("ploop", "info", "--frob", "x");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).contains("--frob");
    }

    static List<String> fieldNames(JsonNode n) {
        List<String> names = new ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
