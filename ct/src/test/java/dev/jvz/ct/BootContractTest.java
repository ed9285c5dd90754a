package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BootContractTest {
    @TempDir
    Path root;

    @Test
    void aRootWithoutTheFileBootsSbinInitAndStopsOnTerm() {
        assertThat(BootContract.of(root)).isEqualTo(BootContract.DEFAULT);
        assertThat(BootContract.DEFAULT.command()).containsExactly("/sbin/init");
    }

    @Test
    void theTemplatesFileNamesInitAndStopSignal() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/jvz-template"), """
                # jvz OS template
                NAME=busybox
                OS="busybox 1.35.0"
                INIT=/sbin/jvz-init
                STOP_SIGNAL=PWR
                """);
        assertThat(BootContract.of(root)).isEqualTo(new BootContract("/sbin/jvz-init", "PWR"));
    }

    @Test
    void malformedValuesFallBackToTheDefaultsOneByOne() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Files.writeString(root.resolve("etc/jvz-template"), "INIT=relative/init\nSTOP_SIGNAL=\"TERM; reboot\"\n");
        assertThat(BootContract.of(root)).isEqualTo(BootContract.DEFAULT);
        Files.writeString(root.resolve("etc/jvz-template"), "INIT=/bin/my-init\nSTOP_SIGNAL=term\n");
        assertThat(BootContract.of(root)).isEqualTo(new BootContract("/bin/my-init", "TERM"));
    }

    @Test
    void aSymbolicLinkOrAnOversizedFileIsNotRead() throws Exception {
        Files.createDirectories(root.resolve("etc"));
        Path elsewhere = Files.writeString(root.resolve("host-file"), "INIT=/evil\n");
        Files.createSymbolicLink(root.resolve("etc/jvz-template"), elsewhere);
        assertThat(BootContract.of(root)).isEqualTo(BootContract.DEFAULT);
        Files.delete(root.resolve("etc/jvz-template"));
        Files.writeString(root.resolve("etc/jvz-template"), "INIT=/x\n" + "#".repeat(BootContract.MAX_BYTES));
        assertThat(BootContract.of(root)).isEqualTo(BootContract.DEFAULT);
    }
}
