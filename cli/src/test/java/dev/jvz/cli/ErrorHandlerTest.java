package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.image.DescriptorException;
import dev.jvz.image.ImageCorruptedException;
import dev.jvz.image.ImageException;
import dev.jvz.image.ImageInUseException;
import dev.jvz.image.ImageLockedException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ErrorHandlerTest {
    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of(new ImageCorruptedException("x: bad"), 11),
                Arguments.of(new CliException(ExitCodes.MKFS, "mkfs failed"), 24),
                Arguments.of(new ImageInUseException(Path.of("x")), 37),
                Arguments.of(new ImageLockedException("locked"), 23),
                Arguments.of(new DescriptorException("bad xml"), 39),
                Arguments.of(new ImageException("generic"), 1),
                Arguments.of(new NoSuchFileException("x"), 4),
                Arguments.of(new AccessDeniedException("x"), 4),
                Arguments.of(new FileAlreadyExistsException("x"), 1),
                Arguments.of(new IOException("No space left on device"), 7),
                Arguments.of(new IOException("Input/output error"), 12),
                Arguments.of(new UncheckedIOException(new NoSuchFileException("x")), 4),
                Arguments.of(new IllegalArgumentException("a v1 image holds at most 2 TiB"), 38),
                Arguments.of(new IllegalStateException("bug"), 70),
                Arguments.of(new NullPointerException(), 70),
                Arguments.of(new dev.jvz.copy.CopyProtocolException("stream corrupted"), 13),
                Arguments.of(new dev.jvz.copy.ChecksumMismatchException("crc differs", 4096), 13),
                Arguments.of(new dev.jvz.copy.RemoteFailureException("receiver: FAILURE"), 13),
                Arguments.of(new dev.jvz.copy.LiveCopyException("pass 2 failed",
                        new dev.jvz.copy.RemoteFailureException("receiver: FAILURE")), 13),
                Arguments.of(new dev.jvz.copy.LiveCopyException("pass 1 failed",
                        new IOException("No space left on device")), 7),
                Arguments.of(new dev.jvz.copy.LiveCopyException("still written while frozen"), 12),
                // a final digest mismatch: at our end (a local -d FILE) or reported by the receiver
                Arguments.of(new dev.jvz.copy.LiveCopyException("the final digest comparison failed",
                        new dev.jvz.copy.ChecksumMismatchException("final image digest mismatch", -1)), 13),
                Arguments.of(new dev.jvz.node.NodeException(dev.jvz.node.NodeException.Kind.COPY, "x"), 13));
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @MethodSource("failures")
    void eachFailureHasItsExitCode(Exception e, int code) {
        assertThat(ErrorHandler.exitCode(e)).isEqualTo(code);
    }

    @Test
    void fileExceptionsNameTheFileAndTheReason() {
        assertThat(ErrorHandler.message(new NoSuchFileException("/a/b")))
                .isEqualTo("/a/b: no such file or directory");
        assertThat(ErrorHandler.message(new AccessDeniedException("/a/b"))).isEqualTo("/a/b: permission denied");
        assertThat(ErrorHandler.message(new FileAlreadyExistsException("/a/b", null, "already exists; refusing")))
                .isEqualTo("/a/b: already exists; refusing");
    }

    @Test
    void aCliExceptionIsItsOwnMessage() {
        assertThat(ErrorHandler.message(new CliException(ExitCodes.MKFS, "cannot create the ext4 file system")))
                .isEqualTo("cannot create the ext4 file system");
    }

    @Test
    void uncheckedIoIsReportedAsItsCause() {
        assertThat(ErrorHandler.message(new UncheckedIOException(new NoSuchFileException("/x"))))
                .isEqualTo("/x: no such file or directory");
    }

    @Test
    void diskFullSaysWhatToDo() {
        assertThat(ErrorHandler.message(new IOException("No space left on device")))
                .isEqualTo("No space left on device; free some space and retry");
    }

    @Test
    void unexpectedExceptionsAskForAStackTraceReport() {
        assertThat(ErrorHandler.message(new IllegalStateException("boom")))
                .startsWith("internal error: java.lang.IllegalStateException: boom")
                .endsWith("rerun with --stacktrace and report it");
    }

    @Test
    void exitCodeValuesMatchPloopSysexitNumbering() {
        // include/libploop.h: SYSEXIT_OPEN 4, WRITE 7, PLOOPFMT 11, SYS 12, EBUSY 17, LOCK 23, MKFS 24,
        // PLOOPINUSE 37, PARAM 38, DISKDESCR 39, NOSNAP 43.
        assertThat(new int[] {ExitCodes.OPEN, ExitCodes.WRITE, ExitCodes.CORRUPTED, ExitCodes.IO, ExitCodes.BUSY,
                    ExitCodes.LOCKED, ExitCodes.MKFS, ExitCodes.IN_USE, ExitCodes.PARAM, ExitCodes.DESCRIPTOR,
                    ExitCodes.NO_SNAPSHOT})
                .containsExactly(4, 7, 11, 12, 17, 23, 24, 37, 38, 39, 43);
    }
}
