package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The stall timeout on its own: a peer that never reads, a peer that never answers, and what is not guarded. */
@Timeout(20)
class StallGuardTest {
    @Test
    void aNonSocketTransportOrAZeroTimeoutIsNotGuarded() throws Exception {
        Transports.Duplex pipe = new Transports.Duplex(new ByteArrayInputStream(new byte[0]),
                new ByteArrayOutputStream(), null);
        assertThat(StallGuard.guard(pipe, Duration.ofSeconds(1))).isSameAs(pipe);
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort())) {
            Transports.Duplex d = new Transports.Duplex(s.getInputStream(), s.getOutputStream(), s);
            assertThat(StallGuard.guard(d, Duration.ZERO)).isSameAs(d);
            assertThat(s.getSoTimeout()).isZero();
        }
    }

    @Test
    void aPeerThatNeverReadsFailsTheBlockedWriteAfterTheTimeout() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
                Socket peer = ss.accept()) { // accepted, never read
            s.setSendBufferSize(64 << 10);
            Transports.Duplex d = StallGuard.guard(new Transports.Duplex(s.getInputStream(), s.getOutputStream(), s),
                    Duration.ofMillis(300));
            byte[] chunk = new byte[1 << 20];
            assertThatThrownBy(() -> {
                for (int i = 0; i < 1024; i++) { // far more than the socket buffers hold
                    d.out().write(chunk);
                }
            }).isInstanceOf(SocketTimeoutException.class).hasMessageContaining("took no data for PT0.3S")
                    .hasMessageContaining("it is stalled");
            assertThat(s.isClosed()).as("the watchdog closed the socket").isTrue();
        }
    }

    @Test
    void aPeerThatNeverAnswersFailsTheReadAfterTheTimeout() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                Socket s = new Socket(InetAddress.getLoopbackAddress(), ss.getLocalPort());
                Socket peer = ss.accept()) {
            Transports.Duplex d = StallGuard.guard(new Transports.Duplex(s.getInputStream(), s.getOutputStream(), s),
                    Duration.ofMillis(200));
            assertThatThrownBy(() -> d.in().read(new byte[8])).isInstanceOf(SocketTimeoutException.class)
                    .hasMessageContaining("sent no answer for PT0.2S");
            d.close();
        }
    }
}
