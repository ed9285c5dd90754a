package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.node.Exec;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Two containers on the routed network reach each other by IP from their own namespaces; an address
 * added live is reachable at once and one removed live is not; stop and destroy leave no namespace or
 * host veth behind.
 */
class ContainerNetworkIT extends ContainerTestBase {
    private static final Duration T = Duration.ofSeconds(20);

    @Override
    CtFixture newFixture(Path root) throws Exception {
        return new CtFixture(root, true, Map.of());
    }

    /** A test subnet derived from this JVM's pid, so parallel or leftover runs do not collide. */
    private static String ip(int host) {
        long pid = ProcessHandle.current().pid();
        return "10.2" + (30 + pid % 10) + "." + (pid / 10 % 250) + "." + host;
    }

    private int ping(String from, String to) throws CtException {
        return cts.exec(from, List.of("/bin/sh", "-c", "ping -c 1 -W 2 " + to), null, T).exitCode();
    }

    @Test
    void twoContainersReachEachOtherByIpAndLiveAddressChangesApply() throws Exception {
        String a = CtFixture.newCtid();
        String b = CtFixture.newCtid();
        cts.create(CreateRequest.of(a, "busybox").withIp(List.of(InetAddress.ofLiteral(ip(1)))));
        cts.create(CreateRequest.of(b, "busybox").withIp(List.of(InetAddress.ofLiteral(ip(2)))));
        cts.start(a);
        cts.start(b);
        assertThat(cts.exec(a, List.of("/bin/sh", "-c", "ip -4 addr show"), null, T).stdout()).contains(ip(1));
        assertThat(ping(a, ip(2))).as("%s -> %s", a, ip(2)).isZero();
        assertThat(ping(b, ip(1))).as("%s -> %s", b, ip(1)).isZero();
        assertThat(cts.list(false)).extracting(CtInfo::ip).containsExactlyInAnyOrder(List.of(ip(1)), List.of(ip(2)));

        cts.set(b, SetRequest.none().withIpAdd(List.of(InetAddress.ofLiteral(ip(3)))), true);
        assertThat(ping(a, ip(3))).isZero();
        cts.set(b, new SetRequest(null, null, List.of(InetAddress.ofLiteral(ip(3))), false, null, null, null, null,
                null, null, null), true);
        assertThat(ping(a, ip(3))).as("a removed address still answers").isNotZero();
        assertThat(cts.config(b).ipAddresses()).containsExactly(InetAddress.ofLiteral(ip(2)));

        for (String ct : List.of(a, b)) {
            fx.killDestroyAndAssertClean(ct);
            assertThat(fx.network.exists(ct)).isFalse();
            assertThat(Exec.run(T, List.of("ip", "link", "show", "ve" + ct)).exitCode()).isNotZero();
        }
    }

    @Test
    void aStartAfterACrashReusesTheMountAndReplacesTheLeftOverNamespace() throws Exception {
        String a = CtFixture.newCtid();
        cts.create(CreateRequest.of(a, "busybox").withIp(List.of(InetAddress.ofLiteral(ip(11)))));
        cts.start(a);
        // What a host crash of jvz and runc leaves: processes gone, runc state gone, netns and mount still there.
        fx.runc.delete(a, true);
        assertThat(fx.network.exists(a)).isTrue();
        assertThat(cts.status(a).line()).isEqualTo("CTID " + a + " exist mounted stopped");
        cts.start(a);
        assertThat(cts.exec(a, List.of("/bin/sh", "-c", "ip -4 addr show"), null, T).stdout()).contains(ip(11));
        cts.stop(a, false);
        cts.destroy(a);
        assertThat(fx.leftovers(a)).isEmpty();
    }

    @Test
    void aStartWhoseAddressIsTakenSaysWhoHasItAndUndoesTheMount() throws Exception {
        String a = CtFixture.newCtid();
        String b = CtFixture.newCtid();
        List<InetAddress> same = List.of(InetAddress.ofLiteral(ip(21)));
        cts.create(CreateRequest.of(a, "busybox").withIp(same));
        cts.create(CreateRequest.of(b, "busybox").withIp(same));
        cts.start(a);
        assertThatThrownBy(() -> cts.start(b)).isInstanceOf(AddressInUseException.class).hasMessageContaining(ip(21));
        assertThat(cts.status(b).line()).isEqualTo("CTID " + b + " exist unmounted stopped");
        assertThat(fx.leftovers(b)).isEmpty();
        assertThat(ping(a, ip(21))).as("the first owner keeps its address").isZero();
        cts.stop(a, true);
        cts.destroy(a);
        cts.destroy(b);
        assertThat(fx.leftovers(a)).isEmpty();
    }
}
