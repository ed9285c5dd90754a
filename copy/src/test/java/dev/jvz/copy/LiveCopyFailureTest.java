package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.WriteTracker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A failure at each step ends the copy with a {@link LiveCopyException} whose cause is the original
 * failure; the freeze step is thawed exactly once if it was called, never if not; the tracker is
 * stopped (and a new one can start); the source file is not changed; the sink is not finished.
 */
@Timeout(30)
class LiveCopyFailureTest {
    private static final int CLUSTER_SECTORS = 64;
    private static final long CB = CLUSTER_SECTORS * 512L;

    @TempDir
    Path dir;

    private Path source;
    private Image image;
    private byte[] before;
    private final TestFreeze freeze = new TestFreeze();
    private final AtomicReference<WriteTracker> tracker = new AtomicReference<>();

    @BeforeEach
    void setUp() throws Exception {
        source = dir.resolve("root.hdd");
        Image.create(source, new CreateOptions(64 * CB, CLUSTER_SECTORS, 2));
        image = Image.open(source, true);
        Random r = new Random(7);
        byte[] buf = new byte[(int) CB];
        for (int i = 0; i < 20; i++) {
            r.nextBytes(buf);
            image.write(i * 2 * CB, ByteBuffer.wrap(buf));
        }
        image.flush();
        before = Files.readAllBytes(source);
    }

    @AfterEach
    void tearDown() throws IOException {
        image.close();
    }

    private LiveCopy.Builder copy(TestSink sink, LiveCopy.SourceOpener source) {
        return LiveCopy.builder("root.hdd", sink, () -> {
                    tracker.set(WriteTracker.start(image, 4096));
                    return DirtySource.of(tracker.get());
                }, source)
                .blockBytes((int) CB)
                .freezeStep(freeze);
    }

    private LiveCopy.Builder copy(TestSink sink) {
        return copy(sink, () -> FileSource.open(source));
    }

    enum Point {
        FIRST_WRITE, LATER_WRITE, SYNC, FREEZE_IO, FREEZE_UNCHECKED, FROZEN_PASS_WRITE, HEADER_WRITE, FINISH,
        PRE_FREEZE_SYNC, READ
    }

    @ParameterizedTest
    @EnumSource(Point.class)
    void failureAtEachStepThawsOnceStopsTheTrackerAndLeavesTheSourceAlone(Point point) throws Exception {
        TestSink sink = TestSink.toFile(dir.resolve("copy.hdd"));
        Throwable injected;
        LiveCopy.Builder b;
        switch (point) {
            case FIRST_WRITE -> {
                sink.failAt(TestSink.Call.WRITE, 1);
                b = copy(sink);
                injected = null; // checked below by type
            }
            case LATER_WRITE -> {
                sink.failAt(TestSink.Call.WRITE, 5);
                b = copy(sink);
                injected = null;
            }
            case SYNC -> {
                sink.failAt(TestSink.Call.SYNC, 1);
                b = copy(sink);
                injected = null;
            }
            case FREEZE_IO -> {
                freeze.failFreeze = new IOException("stop command failed");
                b = copy(sink);
                injected = freeze.failFreeze;
            }
            case FREEZE_UNCHECKED -> {
                freeze.failFreezeUnchecked = new IllegalStateException("FIFREEZE: not supported");
                b = copy(sink);
                injected = freeze.failFreezeUnchecked;
            }
            case FROZEN_PASS_WRITE -> {
                // The freeze's syncfs writes something; sending it fails.
                freeze.onFreeze = () -> {
                    image.write(3 * CB, ByteBuffer.wrap(new byte[4096]));
                    image.flush();
                    sink.failNextWrite = true;
                };
                b = copy(sink);
                injected = null;
            }
            case HEADER_WRITE -> {
                freeze.onFreeze = () -> sink.failNextWrite = true;
                b = copy(sink);
                injected = null;
            }
            case FINISH -> {
                sink.failAt(TestSink.Call.FINISH, 1);
                b = copy(sink);
                injected = null;
            }
            case PRE_FREEZE_SYNC -> {
                UncheckedIOException e = new UncheckedIOException(new IOException("syncfs: I/O error"));
                b = copy(sink).preFreezeSync(() -> {
                    throw e;
                });
                injected = e;
            }
            case READ -> {
                IOException e = new IOException("pread: I/O error");
                b = copy(sink, () -> {
                    FileSource real = FileSource.open(source);
                    int[] n = {0};
                    return new FileSource() {
                        @Override
                        public int read(ByteBuffer dst, long pos) throws IOException {
                            if (++n[0] == 3) {
                                throw e;
                            }
                            return real.read(dst, pos);
                        }

                        @Override
                        public void close() throws IOException {
                            real.close();
                        }
                    };
                });
                injected = e;
            }
            default -> throw new AssertionError(point);
        }
        Throwable t = catchThrowable(() -> b.build().run());
        sink.close();

        assertThat(t).as(point.toString()).isInstanceOf(LiveCopyException.class);
        if (injected != null) {
            assertThat(t.getCause()).as(point + ": the cause is the original failure").isSameAs(injected);
        } else {
            assertThat(t.getCause()).as(point.toString()).isInstanceOf(TestSink.InjectedFailure.class);
        }
        boolean freezeRan = switch (point) {
            case FIRST_WRITE, LATER_WRITE, SYNC, PRE_FREEZE_SYNC, READ -> false;
            default -> true;
        };
        assertThat(freeze.freezes).as(point + ": freeze calls").hasValue(freezeRan ? 1 : 0);
        assertThat(freeze.thaws).as(point + ": thaw calls").hasValue(freezeRan ? 1 : 0);
        if (point == Point.FROZEN_PASS_WRITE) {
            assertThat(t).hasMessageContaining("could not send");
        }
        if (point == Point.HEADER_WRITE) {
            assertThat(t).hasMessageContaining("clean header");
        }
        assertThat(tracker.get().isRunning()).as(point + ": tracker stopped").isFalse();
        // Its listener is gone too: a new tracker can start on the image.
        WriteTracker.start(image).stopForce();
        assertThat(sink.count(TestSink.Call.FINISH)).isEqualTo(point == Point.FINISH ? 1 : 0);
        if (point != Point.FROZEN_PASS_WRITE) {
            assertThat(Files.readAllBytes(source)).as(point + ": source unchanged").isEqualTo(before);
        }
    }

    @Test
    void thawFailingAfterACompleteCopyIsReportedAndTheTrackerIsStopped() throws Exception {
        TestSink sink = TestSink.toFile(dir.resolve("copy.hdd"));
        freeze.failThaw = new IOException("FITHAW: invalid argument");
        Throwable t = catchThrowable(() -> copy(sink).build().run());
        sink.close();
        assertThat(t).isInstanceOf(LiveCopyException.class).hasMessageContaining("thaw it by hand")
                .hasCause(freeze.failThaw);
        assertThat(freeze.thaws).hasValue(1);
        assertThat(sink.count(TestSink.Call.FINISH)).isOne();
        assertThat(tracker.get().isRunning()).isFalse();
    }

    @Test
    void thawFailingOnAFailurePathIsSuppressedUnderTheFirstFailure() throws Exception {
        TestSink sink = TestSink.toFile(dir.resolve("copy.hdd")).failAt(TestSink.Call.FINISH, 1);
        freeze.failThaw = new IOException("FITHAW: invalid argument");
        Throwable t = catchThrowable(() -> copy(sink).build().run());
        sink.close();
        assertThat(t).isInstanceOf(LiveCopyException.class).hasCauseInstanceOf(TestSink.InjectedFailure.class);
        assertThat(t.getSuppressed()).containsExactly(freeze.failThaw);
        assertThat(freeze.thaws).hasValue(1);
        assertThat(tracker.get().isRunning()).isFalse();
    }

    @Test
    void aTrackerThatCannotStartFailsBeforeAnythingIsSentOrFrozen() throws Exception {
        WriteTracker other = WriteTracker.start(image);
        try {
            TestSink sink = TestSink.counting();
            Throwable t = catchThrowable(() -> LiveCopy.builder(image, sink).freezeStep(freeze).build().run());
            assertThat(t).isInstanceOf(dev.jvz.image.WriteTrackerException.class);
            assertThat(sink.calls).isEmpty();
            assertThat(freeze.freezes).hasValue(0);
            assertThat(freeze.thaws).hasValue(0);
        } finally {
            other.stopForce();
        }
    }

    @Test
    void theSourceFileIsNotChangedByASuccessfulCopy() throws Exception {
        TestSink sink = TestSink.toFile(dir.resolve("copy.hdd"));
        CopyReport r = LiveCopy.builder(image, sink).freezeStep(freeze).build().run();
        sink.close();
        assertThat(Files.readAllBytes(source)).isEqualTo(before);
        assertThat(r.stopReason()).isEqualTo(CopyReport.StopReason.CONVERGED);
        assertThat(r.passes().getFirst().bytes()).isEqualTo(before.length);
        // Nothing was written: the copy is the source with a clean header.
        byte[] copy = Files.readAllBytes(dir.resolve("copy.hdd"));
        assertThat(java.util.Arrays.mismatch(copy, before)).isBetween(44, 47);
        WriteTracker.start(image).stopForce();
    }
}
