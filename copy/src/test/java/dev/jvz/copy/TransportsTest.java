package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Address parsing, connect errors, fd streams, and the receiver over a stream that returns short reads. */
class TransportsTest {
    @TempDir
    Path dir;

    @Test
    void parsesHostPortForms() {
        assertThat(Transports.parse("node2:4000").getHostString()).isEqualTo("node2");
        assertThat(Transports.parse("[::1]:4000").getHostString()).isEqualTo("::1");
        assertThat(Transports.parse("0.0.0.0:0").getPort()).isZero();
        assertThatThrownBy(() -> Transports.parse("node2")).hasMessageContaining("expected: HOST:PORT");
        assertThatThrownBy(() -> Transports.parse("node2:70000")).hasMessageContaining("port: 70000 (expected: 0~65535)");
        assertThatThrownBy(() -> Transports.parse("node2:x")).hasMessageContaining("port: 'x'");
    }

    @Test
    void connectionRefusedSaysWhatToCheck() throws IOException {
        int port;
        try (ServerSocket ss = new ServerSocket(0)) {
            port = ss.getLocalPort();
        }
        assertThatThrownBy(() -> Transports.connect("127.0.0.1:" + port, Duration.ofSeconds(2)))
                .hasMessageContaining("is the receiver listening there?");
    }

    @Test
    void acceptTimesOut() throws IOException {
        try (ServerSocket ss = Transports.listen("127.0.0.1:0")) {
            assertThatThrownBy(() -> Transports.accept(ss, Duration.ofMillis(50)))
                    .hasMessageContaining("no sender connected");
        }
    }

    @Test
    void fdStreamsOpenThroughProcSelfFd() throws IOException {
        Path f = dir.resolve("x");
        Files.writeString(f, "hello");
        try (var ch = java.nio.channels.FileChannel.open(f)) {
            int fd = -1;
            try (var fds = Files.list(Path.of("/proc/self/fd"))) {
                for (Path p : (Iterable<Path>) fds::iterator) {
                    try {
                        if (Files.readSymbolicLink(p).equals(f.toRealPath())) {
                            fd = Integer.parseInt(p.getFileName().toString());
                        }
                    } catch (IOException gone) {
                        // the directory stream's own fd vanishes while listing
                    }
                }
            }
            assertThat(fd).as("our open file shows up in /proc/self/fd").isGreaterThan(2);
            try (InputStream in = Transports.inputFd(fd)) {
                assertThat(new String(in.readAllBytes(), StandardCharsets.US_ASCII)).isEqualTo("hello");
            }
        }
        assertThatThrownBy(() -> Transports.inputFd(-1)).hasMessageContaining("fd < 0: -1");
    }

    @RepeatedTest(10)
    void receiverHandlesShortReads(RepetitionInfo info) throws IOException {
        long seed = 1000L + info.getCurrentRepetition();
        Random rnd = new Random(seed);
        InputStream trickle = new ByteArrayInputStream(LegacyStreamTest.GOLDEN) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1 + rnd.nextInt(9)));
            }
        };
        Path target = dir.resolve("t" + seed);
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        new Receiver().receive(trickle, fb, target, Receiver.Options.defaults());
        assertThat(fb.toString(StandardCharsets.US_ASCII)).as("seed %d", seed).isEqualTo("SUCCESS\nSUCCESS\n");
        assertThat(Arrays.copyOf(Files.readAllBytes(target), 16)).isEqualTo(LegacyStreamTest.SIG);
    }
}
