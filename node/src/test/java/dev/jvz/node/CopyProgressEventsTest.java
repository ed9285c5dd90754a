package dev.jvz.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.copy.CopyReport;
import dev.jvz.copy.LiveCopy;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control protocol's progress events: a {@code copy} request asking for progress gets
 * {@code {"progress":{...}}} lines before its response, and {@link NodeClient#copy(Path, CopySpec,
 * java.util.function.Consumer)} hands each to the consumer and still returns the report. A node
 * speaking to an old client (no progress asked) sends none. The node side is a scripted socket here;
 * the real node's events are exercised through bin/jvz in CopyCliIT.
 */
@Timeout(30)
class CopyProgressEventsTest {
    @TempDir
    Path dir;

    private static final CopyReport REPORT = new CopyReport(4096, List.of(), CopyReport.StopReason.CONVERGED,
            new CopyReport.Frozen(1, 2, 3, 4, 5, 15, 512), 4096, 100,
            new CopyReport.Verify("ab".repeat(32), 4 << 20, 6, 7, 8, 9));

    @Test
    void eventsBeforeTheResponseReachTheConsumerInOrderAndTheReportStillArrives() throws Exception {
        NodePaths paths = new NodePaths(dir);
        Files.createDirectories(paths.controlSocket().getParent());
        List<LiveCopy.Progress> sent = List.of(
                new LiveCopy.Progress(1, CopyReport.Phase.LIVE, 1 << 20, 1_000_000_000L, 1 << 20, 7 << 20, 8 << 20),
                new LiveCopy.Progress(2, CopyReport.Phase.LIVE, 4096, 1_000_000L, (8 << 20) + 4096, 8192, 8 << 20));
        CompletableFuture<JsonNode> request = serveOnce(paths, sent);
        List<LiveCopy.Progress> got = Collections.synchronizedList(new ArrayList<>());
        CopyReport r = new NodeClient(paths).copy(dir.resolve("DiskDescriptor.xml"),
                new CopySpec("/tmp/x", null, false, false, false, 0, null, null, null, null, false), got::add);
        assertThat(request.get(10, TimeUnit.SECONDS).get("progress").asBoolean()).isTrue();
        assertThat(got).containsExactlyElementsOf(sent);
        assertThat(r.verify().sha256()).isEqualTo(REPORT.verify().sha256());
        assertThat(r.frozen().digestNanos()).isEqualTo(3);
        // 7 MiB dirty at 1 MiB/s: the ETA counts what is dirty, not only the rest of the pass.
        assertThat(got.getFirst().etaSeconds()).isEqualTo(7.0);
    }

    @Test
    void withoutAConsumerNoProgressIsAskedFor() throws Exception {
        NodePaths paths = new NodePaths(dir);
        Files.createDirectories(paths.controlSocket().getParent());
        CompletableFuture<JsonNode> request = serveOnce(paths, List.of());
        new NodeClient(paths).copy(dir.resolve("DiskDescriptor.xml"),
                new CopySpec("/tmp/x", null, false, false, false, 0, null, null, null, null, false));
        assertThat(request.get(10, TimeUnit.SECONDS).has("progress")).isFalse();
    }

    /** Accepts one connection, records the request, writes {@code events} then a success with {@link #REPORT}. */
    private static CompletableFuture<JsonNode> serveOnce(NodePaths paths, List<LiveCopy.Progress> events)
            throws Exception {
        ServerSocketChannel ss = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        ss.bind(UnixDomainSocketAddress.of(paths.controlSocket()));
        CompletableFuture<JsonNode> request = new CompletableFuture<>();
        Thread.ofPlatform().daemon().start(() -> {
            try (ss; SocketChannel c = ss.accept();
                    BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(c),
                            StandardCharsets.UTF_8));
                    OutputStream out = Channels.newOutputStream(c)) {
                request.complete(NodeProtocol.JSON.readTree(in.readLine()));
                for (LiveCopy.Progress p : events) {
                    out.write(NodeProtocol.JSON.writeValueAsBytes(new NodeProtocol.Event(p)));
                    out.write('\n');
                }
                out.write(NodeProtocol.JSON.writeValueAsBytes(NodeProtocol.Response.success(REPORT)));
                out.write('\n');
                out.flush();
            } catch (Exception e) {
                request.completeExceptionally(e);
            }
        });
        return request;
    }
}
