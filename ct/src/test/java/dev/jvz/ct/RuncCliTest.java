package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runc driver against stand-in runc scripts: arguments, timeouts, stderr in errors, tolerant JSON. */
class RuncCliTest {
    @TempDir
    Path tmp;

    /** A fake runc: logs its arguments to args.txt, then runs {@code body}. */
    private RuncCli fake(String body, Duration timeout) throws Exception {
        Path bin = tmp.resolve("runc");
        Files.writeString(bin, "#!/bin/sh\necho \"$@\" >> " + tmp.resolve("args.txt") + "\n" + body + "\n");
        Files.setPosixFilePermissions(bin, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new RuncCli(bin.toString(), tmp.resolve("root"), timeout);
    }

    private List<String> calls() throws Exception {
        return Files.readAllLines(tmp.resolve("args.txt"));
    }

    @Test
    void everyCallNamesItsRootAndAFailureCarriesStderr() throws Exception {
        RuncCli r = fake("echo 'container not running' >&2; exit 1", Duration.ofSeconds(10));
        assertThatThrownBy(() -> r.kill("101", "TERM", false)).isInstanceOf(RuncException.class)
                .hasMessage("runc kill 101 failed (exit 1): container not running");
        assertThat(calls()).containsExactly("--root " + tmp.resolve("root") + " kill 101 TERM");
    }

    @Test
    void aCallThatHangsIsKilledAtItsTimeout() throws Exception {
        RuncCli r = fake("exec sleep 30", Duration.ofMillis(300));
        assertThatThrownBy(() -> r.pause("101")).isInstanceOf(RuncException.class)
                .hasMessageContaining("runc pause 101 did not finish in 300 ms and was killed");
    }

    @Test
    void stateOfAContainerRuncDoesNotKnowIsEmptyWithoutAsking() throws Exception {
        RuncCli r = fake("exit 99", Duration.ofSeconds(10));
        assertThat(r.state("101")).isEmpty();
        assertThat(tmp.resolve("args.txt")).doesNotExist();
    }

    @Test
    void stateAndListParseToleratingNewFieldsAndNull() throws Exception {
        Files.createDirectories(tmp.resolve("root/101"));
        RuncCli r = fake("""
                case "$3" in
                  state) echo '{"id":"101","pid":7,"status":"paused","future":{"x":1}}' ;;
                  list) echo 'null' ;;
                  ps) echo '[7,8,9]' ;;
                esac""", Duration.ofSeconds(10));
        RuncState s = r.state("101").orElseThrow();
        assertThat(s.status()).isEqualTo(RuncState.Status.PAUSED);
        assertThat(s.pid()).isEqualTo(7);
        assertThat(r.list()).isEmpty();
        assertThat(r.ps("101")).containsExactly(7, 8, 9);
    }

    @Test
    void updatePassesOnlyWhatChanges() throws Exception {
        RuncCli r = fake("exit 0", Duration.ofSeconds(10));
        r.update("101", new Runc.Resources(256L << 20, 512L << 20, null, null, null));
        r.update("101", new Runc.Resources(null, null, 50_000L, 100_000L, "0-1"));
        r.update("101", new Runc.Resources(null, null, null, null, null)); // nothing to do: no call
        assertThat(calls()).containsExactly(
                "--root " + tmp.resolve("root") + " update --memory 268435456 --memory-swap 536870912 101",
                "--root " + tmp.resolve("root") + " update --cpu-period 100000 --cpu-quota 50000 --cpuset-cpus 0-1 101");
    }

    @Test
    void execReturnsTheExitCodeAndOutputAndFeedsStdin() throws Exception {
        RuncCli r = fake("cat; echo err >&2; exit 3", Duration.ofSeconds(10));
        Runc.ExecResult x = r.exec("101", List.of("/bin/cat"), "input".getBytes(), Duration.ofSeconds(10));
        assertThat(x.exitCode()).isEqualTo(3);
        assertThat(x.stdout()).isEqualTo("input");
        assertThat(x.stderr()).isEqualTo("err\n");
    }

    @Test
    void aFailedRunQuotesTheLogWrittenByThisRunOnly() throws Exception {
        Path log = tmp.resolve("console.log");
        Files.writeString(log, "old line from the last boot\n");
        RuncCli r = fake("echo 'exec: /sbin/init: permission denied' >&2; exit 1", Duration.ofSeconds(10));
        assertThatThrownBy(() -> r.run("101", tmp.resolve("bundle"), log)).isInstanceOf(RuncException.class)
                .hasMessageContaining("runc run 101 failed (exit 1): exec: /sbin/init: permission denied")
                .hasMessageNotContaining("old line");
    }
}
