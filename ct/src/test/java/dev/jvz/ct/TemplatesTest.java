package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What Templates checks before it touches anything, and what it says when a template is missing. */
class TemplatesTest {
    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"busybox", "debian-12", "centos-7-x86_64", "a", "0.1_x"})
    void validNames(String name) {
        Templates.validateName(name);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "Debian", "-x", ".hidden", "a/b", "a..b", "a b", "x.tar.gz/../y", "ünï"})
    void invalidNamesAreRefusedWithTheValue(String name) {
        assertThatThrownBy(() -> Templates.validateName(name)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("template name: " + name);
    }

    @Test
    void aTooLongNameIsRefused() {
        assertThatThrownBy(() -> Templates.validateName("a".repeat(65))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void listOfAMissingDirectoryIsEmpty() throws CtException {
        assertThat(new Templates(dir.resolve("none")).list()).isEmpty();
    }

    @Test
    void getOfAMissingTemplateListsWhatExistsAndHowToCreateIt() throws Exception {
        Files.createDirectories(dir.resolve("cache"));
        Files.writeString(dir.resolve("cache/other.tar.gz"), "");
        Files.writeString(dir.resolve("cache/Not-A-Template.tar.gz"), "");
        assertThatThrownBy(() -> new Templates(dir).get("busybox"))
                .isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("no template 'busybox'")
                .hasMessageContaining("templates there: other)")
                .hasMessageContaining("jvz template create busybox busybox");
    }

    @Test
    void removeOfAMissingTemplateIsNotFound() {
        assertThatThrownBy(() -> new Templates(dir).remove("x")).isInstanceOf(TemplateNotFoundException.class)
                .hasMessageContaining("templates there: none");
    }

    @ParameterizedTest
    @ValueSource(strings = {"suite:Bookworm", "suite:", "suite:a b", "mirror:deb.debian.org/debian",
        "mirror:ftp://deb.debian.org/debian", "mirror:http://", "mirror:file:relative", "variant:fakechroot",
        "variant:"})
    void debianArgumentsAreCheckedBeforeAnythingIsCreated(String what) {
        String[] kv = what.split(":", 2);
        String suite = kv[0].equals("suite") ? kv[1] : null;
        String mirror = kv[0].equals("mirror") ? kv[1] : null;
        String variant = kv[0].equals("variant") ? kv[1] : null;
        assertThatThrownBy(() -> new Templates(dir).createDebian("d", suite, mirror, variant))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith(kv[0] + ": ");
        assertThat(dir.resolve("cache")).doesNotExist();
    }

    @Test
    void debootstrapCommandLine() {
        assertThat(DebianRoot.command("bookworm", "http://m/debian", "minbase", Path.of("/r")))
                .containsExactly("debootstrap", "--variant=minbase", "bookworm", "/r", "http://m/debian");
        assertThat(DebianRoot.command("trixie", "file:///srv/debian", "default", Path.of("/r")))
                .containsExactly("debootstrap", "trixie", "/r", "file:///srv/debian");
    }

    @Test
    void aDynamicBusyboxIsRefusedAndNothingIsLeftBehind() throws Exception {
        Path ls = Path.of("/bin/ls"); // dynamically linked on every Debian
        assertThat(BusyboxRoot.isDynamic(ls)).isTrue();
        assertThatThrownBy(() -> new Templates(dir, ls).createBusybox("bb"))
                .isInstanceOf(CtException.class).hasMessageContaining("dynamically linked")
                .hasMessageContaining("busybox-static");
        try (var s = Files.list(dir.resolve("cache"))) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactly(".locks");
        }
    }

    @Test
    void aNameBeingCreatedElsewhereIsRefusedAtOnceAndLeftAlone() throws Exception {
        Path locks = Files.createDirectories(dir.resolve("cache/.locks"));
        try (var ch = java.nio.channels.FileChannel.open(locks.resolve("bb.lock"),
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
                var held = ch.lock()) {
            Files.createDirectories(dir.resolve("cache/.bb.tmp/root")); // the other create's staging
            assertThatThrownBy(() -> new Templates(dir).createBusybox("bb"))
                    .isInstanceOf(CtException.class).hasMessageContaining("another jvz command");
            assertThatThrownBy(() -> new Templates(dir).remove("bb"))
                    .isInstanceOf(CtException.class).hasMessageContaining("another jvz command");
            assertThat(dir.resolve("cache/.bb.tmp/root")).isDirectory();
        }
    }
}
