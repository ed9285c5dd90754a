package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TemplateMetaTest {
    private static final Instant T = Instant.parse("2026-11-26T10:00:00Z");

    @Test
    void formatThenParseGivesTheSameMetadata() {
        TemplateMeta m = new TemplateMeta("debian-12", "debian bookworm 12.8", "/sbin/jvz-init", "TERM", T);
        assertThat(TemplateMeta.parse(m.format(), "other", Instant.EPOCH)).isEqualTo(m);
        assertThat(m.format()).contains("OS=\"debian bookworm 12.8\"\n", "INIT=/sbin/jvz-init\n");
    }

    @Test
    void missingKeysFallBackToThePlainOsDefaults() {
        TemplateMeta m = TemplateMeta.parse("# nothing\nFOO=bar\n", "centos-7", T);
        assertThat(m).isEqualTo(new TemplateMeta("centos-7", "unknown", "/sbin/init", "TERM", T));
    }

    @Test
    void aBadDateKeepsTheFileTime() {
        assertThat(TemplateMeta.parse("CREATED=yesterday\nOS=x", "n", T).created()).isEqualTo(T);
    }

    @Test
    void anUnsafeValueMakesTheWholeFileFallBackToDefaults() {
        TemplateMeta m = TemplateMeta.parse("OS=x\nINIT=/sbin/init; rm -rf /\n", "n", T);
        assertThat(m).isEqualTo(TemplateMeta.defaults("n", T));
    }

    @ParameterizedTest
    @ValueSource(strings = {"relative/init", "/sbin/init\n", "/sbin/$(x)"})
    void initMustBeASafeAbsolutePath(String init) {
        assertThatThrownBy(() -> new TemplateMeta("n", "os", init, "TERM", T))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"term", "SIG TERM", "", "15x"})
    void stopSignalMustBeASignalName(String sig) {
        assertThatThrownBy(() -> new TemplateMeta("n", "os", "/sbin/init", sig, T))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
