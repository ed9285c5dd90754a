package dev.jvz.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code jvz ploop copy} through the real bin/jvz, as root: a mounted ext4 disk copied while a writer
 * appends fsynced records, the writer stopped by {@code -F "kill -STOP PID"}, the node syncing and
 * freezing the file system for the final passes. The copy must hold every record the writer had
 * fsynced, be a clean image, and equal the source except for the ext4 superblock block (FITHAW
 * rewrites it right after the copy); the source must be thawed and writable afterwards. Also: an
 * unmounted disk through a TCP receiver process is identical by {@code qemu-img compare}, and a
 * mounted disk copied over ploop-style pipes ({@code -o/-f}) goes through the node's relay socket.
 * Resume, unmounted (sender killed) and mounted (receiver killed): the second copy sends only what the
 * kept partial file lacks and both ends compare the final digest. A node-run copy shows the progress
 * line on a terminal.
 */
class CopyCliIT {
    private static Path jvz;

    @TempDir
    Path work;
    Path node;
    JvzProcess proc;
    Path hdd;
    Path mnt;
    Process writer;

    @BeforeAll
    static void findLauncher() {
        jvz = LauncherIT.launcherWith("nbdfuse", "losetup", "mkfs.ext4", "fusermount3", "fsfreeze", "qemu-img", "mount");
    }

    @BeforeEach
    void setUp() throws Exception {
        node = work.resolve("node");
        proc = new JvzProcess(jvz, work, node);
        hdd = Files.createDirectories(work.resolve("private/101/root.hdd"));
        mnt = Files.createDirectories(work.resolve("root/101"));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (writer != null) {
            writer.destroyForcibly(); // SIGKILL also ends a stopped process
            writer.waitFor(10, TimeUnit.SECONDS);
        }
        proc.run("node", "stop", "-q", "--force");
        for (Path p : List.of(mnt, work.resolve("ro"))) {
            if (Files.readString(Path.of("/proc/self/mountinfo")).contains(" " + p + " ")) {
                new ProcessBuilder("umount", "-l", p.toString()).start().waitFor(30, TimeUnit.SECONDS);
            }
        }
    }






    private String desc() {
        return hdd.resolve("DiskDescriptor.xml").toString();
    }

    private Path top() {
        return hdd.resolve("root.hdd");
    }

    private Path side() {
        return work.resolve("side");
    }

    /**
     * Appends numbered records to a file in the mount, fsyncs it after each, and only then records the
     * number in a side file outside the mount (written to a temporary name and renamed, so a stop at
     * any instant leaves a whole number).
     */
    private void startWriter() throws Exception {
        String records = mnt.resolve("records").toString();
        String script = "i=0; while true; do i=$((i+1)); echo \"record $i\" >> " + records + "; sync " + records
                + "; echo $i > " + side() + ".tmp && mv " + side() + ".tmp " + side() + "; done";
        writer = new ProcessBuilder("sh", "-c", script).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(side()) || Long.parseLong(Files.readString(side()).strip()) < 50) {
            if (System.nanoTime() > deadline) {
                fail("the writer did not get going within 60 s");
            }
            Thread.sleep(20);
        }
    }

    private void initAndMount() throws Exception {
        proc.ok("ploop", "init", "-s", "256M", top().toString());
        proc.ok("ploop", "mount", "-m", mnt.toString(), desc());
    }

    @Test
    void liveCopyOfAMountedDiskToAFileHoldsEveryFsyncedRecord() throws Exception {
        initAndMount();
        startWriter();
        Path out = work.resolve("copy.hdd");
        JsonNode report = proc.ok("ploop", "copy", "--json", "-s", desc(), "-F", "kill -STOP " + writer.pid(), "-d",
                out.toString()).json();
        assertReport(report);
        afterTheCopy(out);
    }

    @Test
    void liveCopyOfAMountedDiskToAListeningReceiverProcess() throws Exception {
        initAndMount();
        startWriter();
        int port = freePort();
        Path out = work.resolve("received.hdd");
        Path rOut = work.resolve("receiver.out");
        Path rErr = work.resolve("receiver.err");
        Process receiver = proc.builder(List.of(jvz.toString(), "ploop", "copy", "--json", "-d", out.toString(),
                "--listen", "127.0.0.1:" + port), rOut, rErr).start();
        awaitListening(rErr);
        JsonNode report = proc.ok("ploop", "copy", "--json", "-s", desc(), "-F", "kill -STOP " + writer.pid(),
                "--to", "127.0.0.1:" + port, "-t").json();
        assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.exitValue()).as(Files.readString(rErr)).isZero();
        JsonNode got = Json.mapper().readTree(Files.readString(rOut));
        assertThat(got.get("protocol").asText()).isEqualTo("jvz");
        assertThat(got.get("final_length").asLong()).isEqualTo(report.get("file_size").asLong());
        assertReport(report);
        afterTheCopy(out);
    }

    @Test
    void liveCopyOfAMountedDiskOverPloopStylePipesGoesThroughTheRelay() throws Exception {
        initAndMount();
        startWriter();
        Path out = work.resolve("piped.hdd");
        Path f1 = work.resolve("stream.fifo");
        Path f2 = work.resolve("feedback.fifo");
        assertThat(new ProcessBuilder("mkfifo", f1.toString(), f2.toString()).start().waitFor()).isZero();
        // Both ends open the stream fifo first, then the feedback one, so neither open blocks forever.
        Path rErr = work.resolve("receiver.err");
        Process receiver = proc.builder(List.of("sh", "-c", "exec \"$JVZ\" ploop copy -q -d " + out + " -f 3 <" + f1
                + " 3>" + f2), work.resolve("receiver.out"), rErr).start();
        JvzProcess.Run sender = proc.exec(List.of("sh", "-c", "exec \"$JVZ\" ploop copy --json -s " + desc() + " -F 'kill -STOP "
                + writer.pid() + "' -o 4 -f 5 4>" + f1 + " 5<" + f2));
        assertThat(sender.exitCode()).as(sender.toString()).isZero();
        assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.exitValue()).as(Files.readString(rErr)).isZero();
        assertReport(sender.json());
        afterTheCopy(out);
    }

    @Test
    void copyOfAnUnmountedDiskThroughATcpReceiverIsIdentical() throws Exception {
        proc.ok("ploop", "init", "-s", "256M", top().toString());
        int port = freePort();
        Path out = work.resolve("received.hdd");
        Path rErr = work.resolve("receiver.err");
        Process receiver = proc.builder(List.of(jvz.toString(), "ploop", "copy", "-d", out.toString(), "--listen",
                "127.0.0.1:" + port), work.resolve("receiver.out"), rErr).start();
        awaitListening(rErr);
        JvzProcess.Run s = proc.ok("ploop", "copy", "-s", desc(), "--to", "127.0.0.1:" + port, "-t");
        assertThat(s.out()).contains("pass  phase", "FROZEN", "frozen total");
        assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.exitValue()).as(Files.readString(rErr)).isZero();
        assertThat(proc.exec(List.of("qemu-img", "compare", "-f", "parallels", "-F", "parallels", top().toString(),
                out.toString())).exitCode()).isZero();
        assertThat(proc.exec(List.of("qemu-img", "check", "-f", "parallels", out.toString())).exitCode()).isZero();
    }

    @Test
    void aFailingStopCommandFailsTheCopyInOneLineAndLeavesTheSourceWritable() throws Exception {
        initAndMount();
        Path out = work.resolve("copy.hdd");
        JvzProcess.Run r = proc.run("ploop", "copy", "-s", desc(), "-F", "echo cannot stop the container >&2; exit 3", "-d",
                out.toString());
        assertThat(r.exitCode()).as(r.toString()).isEqualTo(ExitCodes.IO);
        assertThat(r.err().lines().count()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).contains("freeze step failed", "cannot stop the container");
        assertThat(out).doesNotExist();
        JvzProcess.Run write = proc.exec(List.of("timeout", "30", "sh", "-c", "echo x > " + mnt.resolve("x") + " && sync -f " + mnt));
        assertThat(write.exitCode()).as("not left frozen: " + write).isZero();
        proc.ok("ploop", "umount", desc());
    }

    @Test
    void whileACopyRunsTheDiskIsBusyButTheNodeAnswers() throws Exception {
        initAndMount();
        Path out = work.resolve("slow.hdd");
        int port = freePort();
        Path rErr = work.resolve("receiver.err");
        Process receiver = proc.builder(List.of(jvz.toString(), "ploop", "copy", "-d", out.toString(), "--listen",
                "127.0.0.1:" + port), work.resolve("receiver.out"), rErr).start();
        awaitListening(rErr);
        Path sOut = work.resolve("sender.out");
        Path sErr = work.resolve("sender.err");
        // About 13 MiB at 2 MiB/s: several seconds in which the copy holds the disk.
        Process sender = proc.builder(List.of(jvz.toString(), "ploop", "copy", "--json", "-s", desc(), "--bwlimit", "2M",
                "--to", "127.0.0.1:" + port), sOut, sErr).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(out) || Files.size(out) == 0) { // data arrives once the copy holds the disk
            if (System.nanoTime() > deadline || !sender.isAlive()) {
                fail("the copy did not start: " + Files.readString(sErr));
            }
            Thread.sleep(20);
        }
        JvzProcess.Run busy = proc.run("ploop", "umount", desc());
        assertThat(busy.exitCode()).as(busy.toString()).isEqualTo(ExitCodes.BUSY);
        assertThat(busy.err()).contains("a copy of").contains("is running");
        JvzProcess.Run snap = proc.run("ploop", "snapshot", desc());
        assertThat(snap.exitCode()).as(snap.toString()).isEqualTo(ExitCodes.BUSY);
        proc.ok("node", "status");
        proc.ok("ploop", "list");
        assertThat(sender.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(sender.exitValue()).as(Files.readString(sErr)).isZero();
        assertReport(Json.mapper().readTree(Files.readString(sOut)));
        assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.exitValue()).as(Files.readString(rErr)).isZero();
        proc.ok("ploop", "umount", desc());
    }

    /**
     * Resume end to end: a copy cut in pass 1 (the sender killed) leaves the receiver's partial file
     * (--keep); a receiver restarted with --resume offers it, the sender sends only what is missing,
     * both ends compare the final digest, and the result equals the source by qemu-img compare.
     */
    @Test
    void aCopyCutInPassOneResumesFromTheKeptPartialFileAndSendsOnlyWhatIsMissing() throws Exception {
        initAndMount();
        fillMounted(160);
        proc.ok("ploop", "umount", desc());
        long fileSize = Files.size(top());
        assertThat(fileSize).isGreaterThan(150L << 20);

        int port = freePort();
        Path out = work.resolve("received.hdd");
        Path rErr = work.resolve("receiver1.err");
        PacedCopy first = startPacedCopyUntilAThird(port, out, fileSize);
        Process receiver = first.receiver();
        Process sender = first.sender();
        sender.destroyForcibly(); // SIGKILL: the connection breaks mid pass 1
        assertThat(sender.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.exitValue()).as("the receiver fails on the cut stream: " + Files.readString(rErr))
                .isNotZero();
        long kept = Files.size(out);
        assertThat(kept).as("--keep kept the partial file").isGreaterThanOrEqualTo(fileSize / 3).isLessThan(fileSize);

        Path rOut2 = work.resolve("receiver2.out");
        Path rErr2 = work.resolve("receiver2.err");
        Process receiver2 = proc.builder(List.of(jvz.toString(), "ploop", "copy", "--json", "-d", out.toString(),
                "--resume", "--keep", "--listen", "127.0.0.1:" + port), rOut2, rErr2).start();
        awaitListening(rErr2);
        JsonNode report = proc.ok("ploop", "copy", "--json", "-s", desc(), "--to", "127.0.0.1:" + port).json();
        assertThat(receiver2.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver2.exitValue()).as(Files.readString(rErr2)).isZero();
        JsonNode got = Json.mapper().readTree(Files.readString(rOut2));

        long pass1 = report.get("passes").get(0).get("bytes").asLong();
        System.out.printf("resume: file %d, kept %d, resumed pass 1 sent %d, receiver wrote %d%n", fileSize, kept,
                pass1, got.get("bytes_written").asLong());
        // Only the part the receiver lacks (plus the ranges of the BAT and the partial last range) is sent.
        assertThat(pass1).as("pass 1 of the resumed copy: " + report).isLessThan(fileSize - kept + (16L << 20));
        assertThat(got.get("bytes_written").asLong()).isLessThan(fileSize - kept + (16L << 20));
        assertThat(report.get("verify").get("sha256").asText()).as("both ends compared the same digest")
                .isEqualTo(got.get("sha256").asText());
        JvzProcess.Run cmp = proc.exec(List.of("qemu-img", "compare", "-f", "parallels", "-F", "parallels",
                top().toString(), out.toString()));
        assertThat(cmp.exitCode()).as(cmp.toString()).isZero();
        assertThat(proc.exec(List.of("qemu-img", "check", "-f", "parallels", out.toString())).exitCode()).isZero();
    }

    /**
     * Resume of a copy the node runs (mounted disk, writer running): the receiver is killed mid pass 1
     * (SIGKILL: its partial file stays), the node's copy fails and thaws nothing it did not freeze; a
     * receiver started with --resume on the partial file gets only what it lacks plus what the writer
     * changed, both ends compare the final digest, and the copy holds every fsynced record.
     */
    @Test
    void aMountedDiskCopyResumesAfterTheReceiverWasKilled() throws Exception {
        initAndMount();
        fillMounted(160);
        startWriter();
        int port = freePort();
        Path out = work.resolve("received.hdd");
        PacedCopy first = startPacedCopyUntilAThird(port, out, Files.size(top()));
        Process receiver = first.receiver();
        Process sender = first.sender();
        receiver.destroyForcibly(); // SIGKILL: no cleanup, the partial file stays
        assertThat(receiver.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(sender.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(sender.exitValue()).as(Files.readString(work.resolve("sender1.err"))).isNotZero();
        assertThat(Files.readString(work.resolve("sender1.err"))).contains("pass 1 could not send");
        long kept = Files.size(out);

        Path rOut2 = work.resolve("receiver2.out");
        Path rErr2 = work.resolve("receiver2.err");
        Process receiver2 = proc.builder(List.of(jvz.toString(), "ploop", "copy", "--json", "-d", out.toString(),
                "--resume", "--listen", "127.0.0.1:" + port), rOut2, rErr2).start();
        awaitListening(rErr2);
        JsonNode report = proc.ok("ploop", "copy", "--json", "-s", desc(), "-F", "kill -STOP " + writer.pid(),
                "--to", "127.0.0.1:" + port).json();
        assertThat(receiver2.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver2.exitValue()).as(Files.readString(rErr2)).isZero();
        JsonNode got = Json.mapper().readTree(Files.readString(rOut2));
        long size = report.get("file_size").asLong();
        long pass1 = report.get("passes").get(0).get("bytes").asLong();
        System.out.printf("node resume: file %d, kept %d, resumed pass 1 sent %d, all passes %d%n", size, kept, pass1,
                report.get("bytes_sent").asLong());
        // The writer keeps changing a few ranges of the kept part (its records, the journal, metadata).
        assertThat(pass1).as("pass 1 of the resumed copy: " + report).isLessThan(size - kept / 2);
        assertThat(report.get("verify").get("sha256").asText()).isEqualTo(got.get("sha256").asText());
        assertReport(report);
        afterTheCopy(out);
    }

    /**
     * A copy the node runs (mounted disk) shows the progress line on a terminal: the node streams its
     * progress to the CLI over the control socket. The sender runs under script(1) for a pty on stderr;
     * --bwlimit makes pass 1 last a few seconds.
     */
    @Test
    void aCopyTheNodeRunsShowsTheProgressLineOnATerminal() throws Exception {
        LauncherIT.requireTool("script");
        initAndMount();
        fillMounted(64);
        startWriter();
        int port = freePort();
        Path out = work.resolve("received.hdd");
        Path rErr = work.resolve("receiver.err");
        Process receiver = proc.builder(List.of(jvz.toString(), "ploop", "copy", "-d", out.toString(),
                "--listen", "127.0.0.1:" + port), work.resolve("receiver.out"), rErr).start();
        awaitListening(rErr);
        JvzProcess.Run s = proc.exec(List.of("script", "-qefc", "\"$JVZ\" ploop copy -s " + desc() + " -F 'kill -STOP "
                + writer.pid() + "' --to 127.0.0.1:" + port + " --bwlimit 16M", "/dev/null"));
        assertThat(s.exitCode()).as(s.toString()).isZero();
        assertThat(receiver.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(receiver.exitValue()).as(Files.readString(rErr)).isZero();
        assertThat(s.out()).as(s.out()).contains("\rcopy: pass 1 LIVE", " sent (file ", " dirty", "ETA ",
                "final digest verified by both ends");
        afterTheCopy(out);
    }

    /** Fills the mounted disk's file system with {@code mib} MiB of random data, fsynced. */
    private void fillMounted(int mib) throws Exception {
        JvzProcess.Run fill = proc.exec(List.of("dd", "if=/dev/urandom", "of=" + mnt.resolve("fill"), "bs=1M",
                "count=" + mib, "conv=fsync", "status=none"));
        assertThat(fill.exitCode()).as(fill.toString()).isZero();
    }

    /** The two ends of a copy started by {@link #startPacedCopyUntilAThird}. */
    private record PacedCopy(Process receiver, Process sender) {}

    /**
     * Starts a receiver (--keep, output and errors in work/receiver1.*) into {@code out} and a sender
     * of the disk paced at 20 MB/s (work/sender1.*), so pass 1 of a 160 MiB disk takes ~8 s; returns
     * once the receiver's file holds a third of {@code fileSize}, for a cut in the middle of pass 1.
     */
    private PacedCopy startPacedCopyUntilAThird(int port, Path out, long fileSize) throws Exception {
        Path rErr = work.resolve("receiver1.err");
        Process receiver = proc.builder(List.of(jvz.toString(), "ploop", "copy", "-d", out.toString(), "--keep",
                "--listen", "127.0.0.1:" + port), work.resolve("receiver1.out"), rErr).start();
        awaitListening(rErr);
        Process sender = proc.builder(List.of(jvz.toString(), "ploop", "copy", "-s", desc(), "--to",
                "127.0.0.1:" + port, "--bwlimit", "20M"), work.resolve("sender1.out"), work.resolve("sender1.err"))
                .start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (!Files.exists(out) || Files.size(out) < fileSize / 3) {
            if (System.nanoTime() > deadline || !sender.isAlive()) {
                fail("the receiver's file did not reach a third of " + fileSize + " bytes: "
                        + Files.readString(work.resolve("sender1.err")) + Files.readString(rErr));
            }
            Thread.sleep(20);
        }
        return new PacedCopy(receiver, sender);
    }

    private static void assertReport(JsonNode r) {
        assertThat(r.get("passes").size()).as(r.toString()).isGreaterThanOrEqualTo(1);
        assertThat(r.get("passes").get(0).get("phase").asText()).isEqualTo("LIVE");
        boolean frozenPass = false;
        for (JsonNode p : r.get("passes")) {
            frozenPass |= "FROZEN".equals(p.get("phase").asText());
        }
        assertThat(frozenPass).as("a frozen pass ran: " + r).isTrue();
        assertThat(r.get("frozen").get("total_nanos").asLong()).isPositive();
        assertThat(r.get("frozen").get("freeze_nanos").asLong()).isPositive();
    }

    /**
     * With the writer still stopped: the copy is clean and equals the source except the superblock
     * block; the source is thawed and writable; then, after umount, the copy mounted read-only holds
     * every record up to the last one the writer had fsynced.
     */
    private void afterTheCopy(Path out) throws Exception {
        long lastSynced = Long.parseLong(Files.readString(side()).strip());
        JvzProcess.Run check = proc.exec(List.of("qemu-img", "check", "-f", "parallels", out.toString()));
        assertThat(check.exitCode()).as(check.toString()).isZero();

        Path srcRaw = work.resolve("src.raw");
        JvzProcess.Run conv = proc.exec(List.of("qemu-img", "convert", "-f", "parallels", "-O", "raw", top().toString(),
                srcRaw.toString()));
        assertThat(conv.exitCode()).as(conv.toString()).isZero();
        Path outRaw = work.resolve("copy.raw");
        proc.ok("ploop", "export", out.toString(), outRaw.toString());
        // FITHAW rewrites the ext4 superblock (at byte 1024) as soon as the copy is done; nothing else
        // may differ while the writer stays stopped.
        assertThat(differingBlocks(srcRaw, outRaw)).as("4 KiB blocks that differ").isSubsetOf(List.of(0L));
        Files.delete(srcRaw);

        JvzProcess.Run write = proc.exec(List.of("sh", "-c", "echo after > " + mnt.resolve("after.txt") + " && sync -f " + mnt));
        assertThat(write.exitCode()).as("the source is thawed and writable: " + write).isZero();

        writer.destroyForcibly();
        writer.waitFor(10, TimeUnit.SECONDS);
        proc.ok("ploop", "umount", desc());

        Path ro = Files.createDirectories(work.resolve("ro"));
        JvzProcess.Run m = proc.exec(List.of("mount", "-o", "ro,loop,noload", outRaw.toString(), ro.toString()));
        assertThat(m.exitCode()).as(m.toString()).isZero();
        try {
            List<String> lines = Files.readAllLines(ro.resolve("records"));
            assertThat(lines.size()).as("records in the copy vs last fsynced " + lastSynced)
                    .isGreaterThanOrEqualTo((int) lastSynced);
            for (int i = 0; i < lastSynced; i++) {
                assertThat(lines.get(i)).isEqualTo("record " + (i + 1));
            }
        } finally {
            proc.exec(List.of("umount", ro.toString()));
        }
    }

    private static List<Long> differingBlocks(Path a, Path b) throws IOException {
        List<Long> diff = new ArrayList<>();
        try (FileChannel ca = FileChannel.open(a); FileChannel cb = FileChannel.open(b)) {
            assertThat(ca.size()).isEqualTo(cb.size());
            ByteBuffer ba = ByteBuffer.allocate(1 << 20);
            ByteBuffer bb = ByteBuffer.allocate(1 << 20);
            for (long pos = 0; pos < ca.size(); pos += ba.capacity()) {
                ba.clear();
                bb.clear();
                while (ba.hasRemaining() && ca.read(ba, pos + ba.position()) > 0) { }
                while (bb.hasRemaining() && cb.read(bb, pos + bb.position()) > 0) { }
                for (int off = 0; off < ba.position(); off += 4096) {
                    if (!ba.slice(off, 4096).equals(bb.slice(off, 4096))) {
                        diff.add((pos + off) / 4096);
                    }
                }
            }
        }
        return diff;
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static void awaitListening(Path err) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.readString(err).contains("listening on")) {
            if (System.nanoTime() > deadline) {
                fail("the receiver did not listen within 60 s: " + Files.readString(err));
            }
            Thread.sleep(20);
        }
    }
}
