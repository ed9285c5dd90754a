package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiskLockTest {
    @TempDir
    Path dir;

    @Test
    void secondOpenInTheSameJvmIsRefusedUntilTheFirstCloses() throws Exception {
        Disk.init(dir.resolve("root.hdd"), CreateOptions.of(1 << 20)).close();
        try (Disk first = Disk.open(dir)) {
            assertThatThrownBy(() -> Disk.open(dir)).isInstanceOf(ImageLockedException.class)
                    .hasMessageContaining("is locked by another jvz command")
                    .hasMessageContaining("DiskDescriptor.xml");
            assertThat(first.snapshots()).hasSize(1);
        }
        try (Disk again = Disk.open(dir.resolve("DiskDescriptor.xml"))) {
            assertThat(again.snapshots()).hasSize(1);
        }
    }

    @Test
    void aSymlinkedPathToALockedDiskIsRefusedAndTheLockSurvives() throws Exception {
        Path real = Files.createDirectories(dir.resolve("real"));
        Disk.init(real.resolve("root.hdd"), CreateOptions.of(1 << 20)).close();
        Path link = Files.createSymbolicLink(dir.resolve("link"), real);
        try (Disk first = Disk.open(real)) {
            assertThatThrownBy(() -> Disk.open(link)).isInstanceOf(ImageLockedException.class);
            assertThatThrownBy(() -> Disk.open(link.resolve("DiskDescriptor.xml")))
                    .isInstanceOf(ImageLockedException.class);
            assertThat(first.snapshots()).hasSize(1);
            // The refused attempts did not release the OS lock: another process still cannot take it.
            assertThat(tryLockInAnotherProcess(real.resolve("DiskDescriptor.xml.lck"))).isEqualTo("BUSY");
        }
        assertThat(tryLockInAnotherProcess(real.resolve("DiskDescriptor.xml.lck"))).isEqualTo("GOT");
        try (Disk again = Disk.open(link)) {
            assertThat(again.snapshots()).hasSize(1);
        }
    }

    private String tryLockInAnotherProcess(Path lck) throws Exception {
        Path src = dir.resolve("TryLock.java");
        Files.writeString(src, """
                import java.nio.channels.*;
                import java.nio.file.*;
                public class TryLock {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE)) {
                            System.out.println(c.tryLock() == null ? "BUSY" : "GOT");
                        }
                    }
                }
                """);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), src.toString(), lck.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();
        return out;
    }

    @Test
    void manyThreadsRacingForTheLockGetExactlyOneWinnerAndNoOverlappingFileLockException() throws Exception {
        Disk.init(dir.resolve("root.hdd"), CreateOptions.of(1 << 20)).close();
        int threads = 8;
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch losers = new CountDownLatch(threads - 1);
        ExecutorService ex = Executors.newFixedThreadPool(threads);
        try {
            List<Future<String>> results = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                results.add(ex.submit(() -> {
                    start.await();
                    try (Disk d = Disk.open(dir)) {
                        // Hold the lock until every other thread has been refused.
                        assertThat(losers.await(10, TimeUnit.SECONDS)).isTrue();
                        return "won";
                    } catch (ImageLockedException e) {
                        losers.countDown();
                        return "locked";
                    }
                }));
            }
            start.countDown();
            List<String> outcomes = new ArrayList<>();
            for (Future<String> f : results) {
                outcomes.add(f.get(20, TimeUnit.SECONDS)); // any other exception fails here
            }
            assertThat(outcomes).filteredOn("won"::equals).hasSize(1);
            assertThat(outcomes).filteredOn("locked"::equals).hasSize(threads - 1);
        } finally {
            ex.shutdownNow();
        }
        try (Disk d = Disk.open(dir)) {
            assertThat(d.snapshots()).hasSize(1);
        }
    }

    @Test
    void anotherProcessHoldingTheLockIsReportedWithItsPid() throws Exception {
        Disk.init(dir.resolve("root.hdd"), CreateOptions.of(1 << 20)).close();
        Path lck = dir.resolve("DiskDescriptor.xml.lck");
        Path src = dir.resolve("Locker.java");
        Files.writeString(src, """
                import java.nio.channels.FileChannel;
                import java.nio.file.*;
                public class Locker {
                    public static void main(String[] a) throws Exception {
                        try (FileChannel c = FileChannel.open(Path.of(a[0]), StandardOpenOption.WRITE)) {
                            c.lock();
                            c.truncate(0);
                            c.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\\n").getBytes()), 0);
                            System.out.println("LOCKED");
                            System.out.flush();
                            System.in.read();
                        }
                    }
                }
                """);
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), src.toString(), lck.toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertThat(out.readLine()).isEqualTo("LOCKED");
            assertThatThrownBy(() -> Disk.open(dir)).isInstanceOf(ImageLockedException.class)
                    .hasMessageContaining("pid " + p.pid());
        } finally {
            p.getOutputStream().close();
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        try (Disk d = Disk.open(dir)) {
            assertThat(d.snapshots()).hasSize(1);
        }
    }
}
