package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code jvz ploop copy} in-process: argument checks, copies of an unmounted disk to a file and over TCP. */
class CopyCommandTest {
    @TempDir
    Path tmp;
    Path hdd;
    Path xml;

    @BeforeEach
    void disk() throws Exception {
        hdd = tmp.resolve("root.hdd");
        xml = Disks.create(hdd, 16);
        Disks.write(xml, 0, 3);
    }

    private Path top() {
        return hdd.resolve("root.hdd");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "no destination|-s DISK|exactly one destination",
        "two destinations|-s DISK -d OUT --to 127.0.0.1:1|exactly one destination",
        "-f without -o|-s DISK -d OUT -f 5|-f FD goes with -o FD",
        "-o without -f, jvz|-s DISK -o 5|needs --legacy",
        "bad compressor|-s DISK -d OUT --compress lz5|expected: zstd or lz4",
        "compress legacy|-s DISK --to 127.0.0.1:1 --legacy --compress zstd|needs the jvz protocol",
        "receiver option on the sender|-s DISK -d OUT --listen 127.0.0.1:0|--listen is a receiver option",
        "sender option on the receiver|-d OUT -F true|-F is a sender option",
        "nothing|--json|give -s DISK to send, or -d FILE to receive",
        "listen with -i|-d OUT --listen 127.0.0.1:0 -i 0|cannot be combined with -i or -f",
        "bad downtime|-s DISK -d OUT --max-downtime 5|expected: a number with ms, s or m",
        "bad granularity|-s DISK -d OUT --granularity 3000|a power of two",
        "bwlimit to a file|-s DISK -d OUT --bwlimit 1M|-d FILE writes locally",
        "a delta file as source|-s DISK/root.hdd -d OUT|is not a DiskDescriptor.xml",
        "digest on legacy|-s DISK --to 127.0.0.1:1 --legacy --digest|--digest needs the jvz protocol",
        "digest on the receiver|-d OUT --no-digest|--no-digest is a sender option",
        "local digest on the sender|-s DISK -d OUT --local-digest|--local-digest is a receiver option",
    })
    void badCommandLinesAreOneLineAndExitTwo(String name, String args, String message) {
        String[] argv = ("ploop copy " + args).replace("DISK", hdd.toString())
                .replace("OUT", tmp.resolve("out.hdd").toString()).split(" ");
        Cli.Result r = Cli.run(argv);
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).as(r.toString()).hasSize(1);
        assertThat(r.err()).startsWith("jvz ploop copy: ").contains(message);
        assertThat(tmp.resolve("out.hdd")).doesNotExist();
    }

    @Test
    void copyToAFileIsIdenticalAndCleanAndPrintsTheTimeTable() throws Exception {
        Path out = tmp.resolve("out.hdd");
        Cli.Result r = Cli.run("ploop", "copy", "-s", xml.toString(), "-d", out.toString(), "-t");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("copied " + xml).contains("to " + out + ": 3 passes")
                .contains("pass  phase", "   1  LIVE", "PRE_FREEZE", "FROZEN", "frozen: freeze", "frozen total");
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(top()));
        assertThat(r.out()).as("no final digest by default for a local file").doesNotContain("final digest", "digest: ");
    }

    @Test
    void aLocalCopyWithDigestReadsItBackAndSaysSo() throws Exception {
        Path out = tmp.resolve("out.hdd");
        Cli.Result r = Cli.run("ploop", "copy", "-s", xml.toString(), "-d", out.toString(), "--digest", "-t");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).contains("final digest verified by both ends: ", "digest: ", "compared after the thaw");
        assertThat(Files.readAllBytes(out)).isEqualTo(Files.readAllBytes(top()));
    }

    @Test
    void jsonIsTheCopyReportInSnakeCase() throws Exception {
        Path out = tmp.resolve("out.hdd");
        Cli.Result r = Cli.run("ploop", "copy", "--json", "-s", hdd.toString(), "-d", out.toString(),
                "--max-downtime", "200ms", "--granularity", "64K");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(j.get("file_size").asLong()).isEqualTo(Files.size(top()));
        assertThat(j.get("stop_reason").asText()).isEqualTo("CONVERGED");
        assertThat(j.get("passes").get(0).get("phase").asText()).isEqualTo("LIVE");
        assertThat(j.get("passes").get(0).get("bytes").asLong()).isEqualTo(Files.size(top()));
        assertThat(j.get("passes").get(0).has("dirty_bytes_at_end")).isTrue();
        assertThat(j.get("frozen").has("final_pass_nanos")).isTrue();
        assertThat(j.get("frozen").get("final_bytes").asLong()).isEqualTo(512);
        assertThat(j.get("bytes_sent").asLong()).isEqualTo(Files.size(top()));
        assertThat(j.has("total_nanos")).isTrue();
    }

    @Test
    void copyFileMustNotExist() throws Exception {
        Path out = Files.writeString(tmp.resolve("out.hdd"), "mine");
        Cli.Result r = Cli.run("ploop", "copy", "-s", xml.toString(), "-d", out.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.FAILED);
        assertThat(r.errLines()).hasSize(1);
        assertThat(Files.readString(out)).isEqualTo("mine");
    }

    @Test
    void stopCommandRunsAndItsFailureIsReportedAndDropsTheCopy() throws Exception {
        Path out = tmp.resolve("out.hdd");
        Path marker = tmp.resolve("stopped");
        Cli.Result ok = Cli.run("ploop", "copy", "-s", xml.toString(), "-d", out.toString(), "-F",
                "touch " + marker);
        assertThat(ok.exitCode()).as(ok.toString()).isZero();
        assertThat(marker).exists();

        Path out2 = tmp.resolve("out2.hdd");
        Cli.Result bad = Cli.run("ploop", "copy", "-s", xml.toString(), "-d", out2.toString(), "-F",
                "echo cannot stop >&2; exit 3");
        assertThat(bad.exitCode()).as(bad.toString()).isEqualTo(ExitCodes.IO);
        assertThat(bad.errLines()).hasSize(1);
        assertThat(bad.err()).contains("freeze step failed", "cannot stop");
        assertThat(out2).doesNotExist();
    }

    @Test
    void copyThroughATcpReceiverBothInProcess() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path got = tmp.resolve("received.hdd");
        CompletableFuture<Cli.Result> receiver = CompletableFuture.supplyAsync(() -> Cli.run("ploop", "copy",
                "--json", "-d", got.toString(), "--listen", "127.0.0.1:" + port));
        Cli.Result s = null;
        for (int i = 0; i < 100; i++) { // the receiver binds within moments; no fixed sleep
            s = Cli.run("ploop", "copy", "--json", "-s", xml.toString(), "--to", "127.0.0.1:" + port);
            if (s.exitCode() == 0 || !s.err().contains("cannot connect")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(s.exitCode()).as(s.toString()).isZero();
        Cli.Result r = receiver.get(60, TimeUnit.SECONDS);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(j.get("protocol").asText()).isEqualTo("jvz");
        assertThat(j.get("final_length").asLong()).isEqualTo(Files.size(top()));
        assertThat(j.get("syncs").asInt()).isGreaterThanOrEqualTo(1);
        assertThat(j.get("sha256").asText()).hasSize(64);
        assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(top()));
        JsonNode sent = Json.mapper().readTree(s.out());
        assertThat(sent.get("verify").get("sha256").asText()).as("the final digest is on by default over TCP")
                .isEqualTo(j.get("sha256").asText());
        assertThat(sent.get("verify").get("range_size").asInt()).isEqualTo(4 << 20);
        assertThat(j.get("digest").asText()).as("the sha256 is the hash list both ends compared")
                .isEqualTo("hash_list");
    }

    @ParameterizedTest(name = "--local-digest {0}")
    @CsvSource({"false", "true"})
    void withoutAFinalDigestTheReceiverHashesItsFileOnlyWhenAsked(boolean local) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Path got = tmp.resolve("received.hdd");
        String[] recv = local
                ? new String[] {"ploop", "copy", "--json", "--local-digest", "-d", got.toString(), "--listen", "127.0.0.1:" + port}
                : new String[] {"ploop", "copy", "--json", "-d", got.toString(), "--listen", "127.0.0.1:" + port};
        CompletableFuture<Cli.Result> receiver = CompletableFuture.supplyAsync(() -> Cli.run(recv));
        Cli.Result s = null;
        for (int i = 0; i < 100; i++) { // the receiver binds within moments; no fixed sleep
            s = Cli.run("ploop", "copy", "--json", "--no-digest", "-s", xml.toString(), "--to", "127.0.0.1:" + port);
            if (s.exitCode() == 0 || !s.err().contains("cannot connect")) {
                break;
            }
            Thread.sleep(50);
        }
        assertThat(s.exitCode()).as(s.toString()).isZero();
        Cli.Result r = receiver.get(60, TimeUnit.SECONDS);
        assertThat(r.exitCode()).as(r.toString()).isZero();
        JsonNode j = Json.mapper().readTree(r.out());
        assertThat(Json.mapper().readTree(s.out()).get("verify").isNull()).as("no final digest was sent").isTrue();
        if (local) {
            assertThat(j.get("digest").asText()).isEqualTo("local");
            assertThat(j.get("sha256").asText()).isEqualTo(Disks.sha256(got));
        } else {
            assertThat(j.get("digest").asText()).isEqualTo("none");
            assertThat(j.get("sha256").isNull()).as("nothing was hashed, nothing is claimed").isTrue();
        }
        assertThat(Files.readAllBytes(got)).isEqualTo(Files.readAllBytes(top()));
    }
}
