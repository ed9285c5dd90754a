package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class MainTest {
    @Test
    void jvzAlonePrintsUsageOnStderrAndExitsWithUsageError() {
        Cli.Result r = Cli.run();
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.out()).isEmpty();
        assertThat(r.err()).startsWith("Usage: jvz").contains("ploop");
    }

    @Test
    void ploopAlonePrintsItsCommands() {
        Cli.Result r = Cli.run("ploop");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("init", "info", "import", "export", "check", "snapshot-list", "grow");
    }

    @Test
    void versionNamesTheBuildAndTheJavaRuntime() {
        Cli.Result r = Cli.run("--version");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).matches("(?s)jvz \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?\nJava 25.*\n");
        assertThat(r.out()).doesNotContain("${project.version}");
    }

    @Test
    void unknownCommandIsOneLineAndExitTwo() {
        Cli.Result r = Cli.run("ploop", "frobnicate");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.errLines()).hasSize(1);
        assertThat(r.err()).startsWith("jvz ploop: ").contains("frobnicate").contains("'jvz ploop --help'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"init", "info", "check", "import", "export", "snapshot", "snapshot-list",
        "snapshot-merge", "snapshot-delete", "snapshot-switch", "grow"})
    void everyCommandHelpDocumentsOptionsExitCodesAndExamples(String command) {
        Cli.Result r = Cli.run("ploop", command, "--help");
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.err()).isEmpty();
        assertThat(r.out()).startsWith("Usage: jvz ploop " + command)
                .contains("Arguments:", "Options:", "--json", "--stacktrace", "-q, --quiet")
                .contains("Exit codes:", " 11   the image is corrupted", "JSON output (--json):", "Examples:");
        assertThat(r.out().lines()).as("fits an 80-column terminal").allMatch(l -> l.length() <= 80);
    }

    @ParameterizedTest
    @ValueSource(strings = {"ploop mount", "ploop umount", "ploop list", "ploop serve", "node run", "node start",
        "node stop", "node status", "ploop copy"})
    void nodeAndMountCommandsHaveFullHelpToo(String command) {
        List<String> argv = new java.util.ArrayList<>(List.of(command.split(" ")));
        argv.add("--help");
        Cli.Result r = Cli.run(argv.toArray(String[]::new));
        assertThat(r.exitCode()).as(r.toString()).isZero();
        assertThat(r.out()).startsWith("Usage: jvz " + command)
                .contains("Options:", "--stacktrace", "Exit codes:", " 69   the jvz node is not running", "Examples:");
        assertThat(r.out().lines()).as("fits an 80-column terminal").allMatch(l -> l.length() <= 80);
    }

    @Test
    void mergeIsAnAliasOfSnapshotMerge() {
        Cli.Result r = Cli.run("ploop", "merge", "--help");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("Usage: jvz ploop snapshot-merge").contains("(alias: merge)");
    }

    @Test
    void helpSubcommandShowsACommandsHelp() {
        Cli.Result r = Cli.run("help", "ploop");
        assertThat(r.exitCode()).isZero();
        assertThat(r.out()).startsWith("Usage: jvz ploop");
    }
}
