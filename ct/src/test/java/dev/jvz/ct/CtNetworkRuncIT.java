package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.jvz.node.Exec;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * runc joins the namespace CtNetwork made: a process started by {@code runc run} with the OCI
 * network namespace path sees venet0 with the container's address, and reaches another container.
 * Deliberately tiny (busybox rootfs, runc's own default spec with four fields changed); the real
 * runc driver and its tests belong to the container core.
 */
class CtNetworkRuncIT {
    private static final String PREFIX = "jvzrt-";
    private static final InetAddress ADDR = InetAddress.ofLiteral("10.231.1.1");
    private static final InetAddress PEER = InetAddress.ofLiteral("10.231.1.2");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String runcId = "jvzrt-" + ProcessHandle.current().pid();
    private CtNetwork net;

    @BeforeEach
    void setUp() throws CtException {
        CtFixture.requireTool("ip");
        CtFixture.requireTool("runc");
        CtFixture.requireTool("busybox");
        net = new CtNetwork(PREFIX);
        net.cleanupAll();
    }

    @AfterEach
    void cleanUp() throws Exception {
        Exec.run(Duration.ofSeconds(30), List.of("runc", "delete", "--force", runcId));
        if (net != null) {
            net.cleanupAll();
        }
    }

    @Test
    void aRuncContainerJoinsTheNamespaceAndSeesItsAddress(@TempDir Path bundle) throws Exception {
        Path netns = net.setUp("201", List.of(ADDR));
        net.setUp("202", List.of(PEER));
        Path bin = Files.createDirectories(bundle.resolve("rootfs/bin"));
        Files.copy(Path.of(busybox()), bin.resolve("busybox"));
        Exec.check(Duration.ofSeconds(30), List.of("runc", "spec", "--bundle", bundle.toString()));

        ObjectNode config = (ObjectNode) JSON.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        process.set("args", JSON.valueToTree(List.of("/bin/busybox", "sh", "-c",
                "/bin/busybox ip -o addr show dev venet0 && /bin/busybox ping -c1 -W2 " + PEER.getHostAddress())));
        // runc's default spec keeps only three capabilities; ping needs a raw socket.
        process.get("capabilities").properties().forEach(set -> ((ArrayNode) set.getValue()).add("CAP_NET_RAW"));
        for (var ns : (ArrayNode) config.get("linux").get("namespaces")) {
            if ("network".equals(ns.get("type").asText())) {
                ((ObjectNode) ns).put("path", netns.toString());
            }
        }
        JSON.writeValue(bundle.resolve("config.json").toFile(), config);

        Exec.Result r = Exec.check(Duration.ofSeconds(60),
                List.of("runc", "run", "--bundle", bundle.toString(), runcId));

        assertThat(r.stdout()).contains("venet0").contains("inet 10.231.1.1/32").contains("1 packets received");
    }

    private static String busybox() {
        for (String p : List.of("/bin/busybox", "/usr/bin/busybox", "/usr/sbin/busybox")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        throw new IllegalStateException("busybox is on the PATH but not in /bin or /usr/bin");
    }
}
