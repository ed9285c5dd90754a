package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ShellConfigTest {
    private static final Path F = Path.of("/etc/jvz/conf/101.conf");

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "K=\"plain\"|plain",
        "K='single $x \\n'|single $x \\n",
        "K=bare|bare",
        "K=\"a b  c\"|a b  c",
        "K=\"esc \\\" \\\\ \\$ \\`\"|esc \" \\ $ `",
        "K=\"keep \\n as is\"|keep \\n as is",
        "K=\"\"|~~",
        "K=|~~",
        "export K=\"x\"|x",
        "  K=\"indented\"  # trailing comment|indented",
        "K=\"a\"'b'c|abc",
        "K=\"$VEID/x\"|$VEID/x",
        "K=\"x=y\"|x=y",
    })
    void readsTheValueAShellWouldAssign(String line, String expected) throws Exception {
        assertThat(ShellConfig.parse(F, line + "\n").get("K")).isEqualTo(expected == null ? "" : expected);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '~', value = {
        "K=\"open|double quote is not closed",
        "K='open|single quote is not closed",
        "K=two words|several words need quotes",
        "K=`cmd`|shell syntax",
        "K=a;b|shell syntax",
        "not a line|expected KEY=\"value\"",
        "1K=\"x\"|expected KEY=\"value\"",
    })
    void refusesWhatIsNotOneValueNamingFileAndLine(String line, String why) {
        assertThatThrownBy(() -> ShellConfig.parse(F, "# c\n" + line + "\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(F + " line 2").hasMessageContaining(why);
    }

    @Test
    void rewritingKeepsCommentsUnknownKeysAndOrderAndChangesOnlyTheLineSet() throws Exception {
        String text = """
                # Container 101
                HOSTNAME="old"   # set by create

                FOO_UNKNOWN='keep me'
                RAM="512M"
                """;
        ShellConfig c = ShellConfig.parse(F, text);
        c.set("HOSTNAME", "new.example");
        c.set("IP_ADDRESS", "10.0.0.1 10.0.0.2");
        c.set("RAM", "512M"); // unchanged value keeps its original text
        assertThat(c.render()).isEqualTo("""
                # Container 101
                HOSTNAME="new.example"

                FOO_UNKNOWN='keep me'
                RAM="512M"
                IP_ADDRESS="10.0.0.1 10.0.0.2"
                """);
        c.remove("FOO_UNKNOWN");
        assertThat(c.asMap()).containsOnlyKeys("HOSTNAME", "RAM", "IP_ADDRESS");
    }

    @Test
    void theLastAssignmentWinsAndSetRewritesIt() throws Exception {
        ShellConfig c = ShellConfig.parse(F, "K=\"1\"\nK=\"2\"\n");
        assertThat(c.get("K")).isEqualTo("2");
        c.set("K", "3");
        assertThat(c.render()).isEqualTo("K=\"1\"\nK=\"3\"\n");
    }

    @Test
    void aFileWithoutFinalNewlineAndCrlfStyleCommentsReadBack() throws Exception {
        assertThat(ShellConfig.parse(F, "A=\"1\"\nB=\"2\"").asMap()).containsEntry("A", "1").containsEntry("B", "2");
    }

    @Test
    void valuesCannotSpanLines() {
        ShellConfig c = ShellConfig.empty(F);
        assertThatThrownBy(() -> c.set("K", "a\nb")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void writeIsAtomicAndLeavesNoTempFile() throws Exception {
        Path f = tmp.resolve("conf/101.conf");
        ShellConfig c = ShellConfig.empty(f);
        c.set("HOSTNAME", "a");
        c.write();
        c.set("HOSTNAME", "b");
        c.write();
        assertThat(ShellConfig.read(f).get("HOSTNAME")).isEqualTo("b");
        try (var s = Files.list(f.getParent())) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly("101.conf");
        }
    }

    @RepeatedTest(30)
    void anyValueRoundTripsThroughQuoteAndParse(RepetitionInfo info) throws Exception {
        long seed = 0xC0FFEEL + info.getCurrentRepetition();
        Random r = new Random(seed);
        String alphabet = "ab $`\"'\\#;|&()=\t{}*?~!";
        StringBuilder v = new StringBuilder();
        for (int i = 0, n = r.nextInt(20); i < n; i++) {
            v.append(alphabet.charAt(r.nextInt(alphabet.length())));
        }
        ShellConfig c = ShellConfig.empty(F);
        c.set("K", v.toString());
        assertThat(ShellConfig.parse(F, c.render()).get("K")).as("seed %d", seed).isEqualTo(v.toString());
    }
}
