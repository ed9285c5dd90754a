package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.Writer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** A run builds only the path it needs ({@link CommandTree}); what users see must not change. */
class CommandTreeTest {
    private static final PrintWriter NOWHERE = new PrintWriter(Writer.nullWriter());

    private static CommandLine walk(CommandLine root, List<String> path) {
        CommandLine cl = root;
        for (String word : path) {
            cl = cl.getSubcommands().get(word);
            assertThat(cl).as("%s in %s", word, path).isNotNull();
        }
        return cl;
    }

    /** The usage text and every leaf under it, depth first: what --help prints at each level. */
    private static List<String> usages(CommandLine cl) {
        List<String> out = new ArrayList<>();
        out.add(cl.getCommandSpec().qualifiedName() + "\n" + cl.getUsageMessage(CommandLine.Help.Ansi.OFF));
        for (CommandLine sub : cl.getSubcommands().values()) {
            out.addAll(usages(sub));
        }
        return out;
    }

    @Test
    void everyCommandLooksTheSameInItsOwnPathAsInTheWholeTree() {
        List<List<String>> paths = CommandTree.paths();
        assertThat(paths).hasSizeGreaterThan(40).contains(List.of("ploop", "copy"), List.of("list"),
                List.of("ctl", "start"), List.of("template", "create"));
        CommandLine full = Main.commandLine(NOWHERE, NOWHERE);
        for (List<String> path : paths) {
            CommandLine own = Main.commandLineFor(NOWHERE, NOWHERE, path.toArray(String[]::new));
            assertThat(usages(walk(own, path))).as("%s", path).isEqualTo(usages(walk(full, path)));
        }
    }

    @Test
    void aRunOfOneCommandBuildsOnlyItsPath() {
        CommandLine cl = Main.commandLineFor(NOWHERE, NOWHERE, "ploop", "copy", "-s", "x", "-d", "y");
        assertThat(cl.getSubcommands()).containsOnlyKeys("ploop");
        assertThat(cl.getSubcommands().get("ploop").getSubcommands()).containsOnlyKeys("copy");
        assertThat(Main.commandLineFor(NOWHERE, NOWHERE, "list", "-a").getSubcommands()).containsOnlyKeys("list");
        // An alias finds its command too.
        assertThat(Main.commandLineFor(NOWHERE, NOWHERE, "ploop", "merge").getSubcommands().get("ploop")
                .getSubcommands()).containsOnlyKeys("snapshot-merge", "merge");
    }

    @Test
    void aGroupWithoutAKnownSubcommandGetsAllOfIt() {
        int n = PloopCmdCount.count();
        for (String[] args : List.of(new String[] {"ploop"}, new String[] {"ploop", "-h"},
                new String[] {"ploop", "frobnicate"})) {
            CommandLine cl = Main.commandLineFor(NOWHERE, NOWHERE, args);
            assertThat(cl.getSubcommands()).containsOnlyKeys("ploop");
            assertThat(cl.getSubcommands().get("ploop").getSubcommands().values().stream().distinct()).hasSize(n);
        }
    }

    @Test
    void anythingElseGetsTheWholeTree() {
        int n = Main.commandLine(NOWHERE, NOWHERE).getSubcommands().size();
        for (String[] args : List.of(new String[0], new String[] {"--help"}, new String[] {"help", "ploop", "init"},
                new String[] {"plop", "copy"})) {
            assertThat(Main.commandLineFor(NOWHERE, NOWHERE, args).getSubcommands()).hasSize(n);
        }
    }

    @Test
    void helpOfAGroupIsPrintedTheSameWayThroughEitherTree() {
        Cli.Result own = Cli.run("ploop", "--help");
        Cli.Result viaHelp = Cli.run("help", "ploop");
        assertThat(own.exitCode()).isZero();
        assertThat(own.out()).startsWith("Usage: jvz ploop").contains("copy", "snapshot-merge")
                .isEqualTo(viaHelp.out());
    }

    @Test
    void aMisspeltGroupIsReportedAgainstTheWholeTree() {
        Cli.Result r = Cli.run("plop", "copy");
        assertThat(r.exitCode()).isEqualTo(ExitCodes.USAGE);
        assertThat(r.err()).contains("'plop', 'copy'").contains("'jvz --help'");
    }

    /** The number of distinct commands in the ploop group of the whole tree. */
    private static final class PloopCmdCount {
        static int count() {
            return (int) Main.commandLine(NOWHERE, NOWHERE).getSubcommands().get("ploop").getSubcommands().values()
                    .stream().distinct().count();
        }
    }
}
