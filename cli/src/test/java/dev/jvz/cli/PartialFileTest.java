package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PartialFileTest {
    @TempDir
    Path dir;

    @Test
    void aFileTheCommandCreatesIsRemovedOnAnInterruptedExit() throws Exception {
        Path f = dir.resolve("new.hdd");
        try (PartialFile p = PartialFile.guard(f, false)) {
            assertThat(p.owned()).isTrue();
            Files.writeString(f, "half");
            p.deleteOnExit(); // what the shutdown hook runs on SIGINT/SIGTERM
        }
        assertThat(f).doesNotExist();
    }

    @Test
    void anExistingFileIsNeverTouchedWithoutOverwritePermission() throws Exception {
        Path f = Files.writeString(dir.resolve("precious.raw"), "keep");
        try (PartialFile p = PartialFile.guard(f, false)) {
            assertThat(p.owned()).isFalse();
            p.deleteIfOwned();
            p.deleteOnExit();
        }
        assertThat(f).hasContent("keep");
    }

    @Test
    void anExistingRegularFileIsOwnedWhenOverwriteIsAllowed() throws Exception {
        Path f = Files.writeString(dir.resolve("old.raw"), "old");
        try (PartialFile p = PartialFile.guard(f, true)) {
            assertThat(p.owned()).isTrue();
            p.deleteIfOwned();
        }
        assertThat(f).doesNotExist();
    }

    @Test
    void aSymlinkIsNeverOwnedEvenWithOverwrite() throws Exception {
        Path target = Files.writeString(dir.resolve("target.raw"), "keep");
        Path link = Files.createSymbolicLink(dir.resolve("link.raw"), target);
        try (PartialFile p = PartialFile.guard(link, true)) {
            assertThat(p.owned()).isFalse();
            p.deleteIfOwned();
        }
        assertThat(link).exists();
        assertThat(target).hasContent("keep");
    }

    @Test
    void aFinishedCommandKeepsItsFile() throws Exception {
        Path f = dir.resolve("done.hdd");
        try (PartialFile p = PartialFile.guard(f, false)) {
            Files.writeString(f, "complete");
        }
        // close() unregistered the hook: the file survives, and closing twice is harmless.
        assertThat(f).hasContent("complete");
    }
}
