package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.node.Exec;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CtNetwork against the real kernel (root, iproute2, busybox for ping). Everything lives under the
 * prefix {@code jvznt-} and addresses in 10.231.0.0/24 and fd4a:765a::/64, which nothing else on a
 * jvz host uses; cleanupAll before and after each test removes leftovers of killed runs.
 */
class CtNetworkIT {
    private static final String PREFIX = "jvznt-";
    private static final InetAddress A1 = InetAddress.ofLiteral("10.231.0.1");
    private static final InetAddress A2 = InetAddress.ofLiteral("10.231.0.2");
    private static final InetAddress A3 = InetAddress.ofLiteral("10.231.0.3");
    private static final InetAddress V6A = InetAddress.ofLiteral("fd4a:765a::1");
    private static final InetAddress V6B = InetAddress.ofLiteral("fd4a:765a::2");

    private CtNetwork net;

    @BeforeEach
    void setUp() throws CtException {
        CtFixture.requireTool("ip");
        CtFixture.requireTool("busybox");
        net = new CtNetwork(PREFIX);
        net.cleanupAll();
    }

    @AfterEach
    void cleanUp() throws CtException {
        if (net != null) {
            net.cleanupAll();
        }
    }

    @Test
    void twoContainersReachEachOtherAndTheHostReachesBoth() throws Exception {
        var p1 = net.setUp("101", List.of(A1));
        net.setUp("102", List.of(A2));

        assertThat(p1).isEqualTo(net.netnsPath("101")).exists();
        assertThat(net.exists("101")).isTrue();
        assertThat(net.addresses("101")).containsExactly(A1);
        assertThat(ping("jvznt-101", A2)).isTrue();
        assertThat(ping("jvznt-102", A1)).isTrue();
        assertThat(ping(null, A1)).isTrue();
        assertThat(ping(null, A2)).isTrue();
        // Inside: venet0 with the /32, lo up, default route via the link-local gateway.
        String inside = sh("ip", "-n", "jvznt-101", "-o", "addr", "show");
        assertThat(inside).contains("venet0").contains("10.231.0.1/32").contains("127.0.0.1/8");
        assertThat(sh("ip", "-n", "jvznt-101", "route", "show", "default")).contains("via 169.254.0.1 dev venet0");
    }

    @Test
    void removeAddressMakesItUnreachableAndAddAddressRestoresItLive() throws Exception {
        net.setUp("101", List.of(A1));
        net.setUp("102", List.of(A2));

        net.removeAddress("102", A2);
        assertThat(net.addresses("102")).isEmpty();
        assertThat(sh("ip", "-n", "jvznt-102", "-o", "addr", "show", "dev", "venet0")).doesNotContain("10.231.0.2");
        assertThat(unreachable("jvznt-101", A2)).isTrue();
        assertThat(unreachable(null, A2)).isTrue();
        net.removeAddress("102", A2); // again: a no-op

        net.addAddress("102", A2);
        net.addAddress("102", A2); // again: a no-op
        assertThat(net.addresses("102")).containsExactly(A2);
        assertThat(ping("jvznt-101", A2)).isTrue();
        assertThat(ping(null, A2)).isTrue();

        net.addAddress("101", A3); // a second address on a running container
        assertThat(net.addresses("101")).containsExactlyInAnyOrder(A1, A3);
        assertThat(ping("jvznt-102", A3)).isTrue();
    }

    @Test
    void anAddressOfAnotherContainerIsRefusedNamingItsOwner() throws Exception {
        net.setUp("101", List.of(A1));

        assertThatThrownBy(() -> net.setUp("102", List.of(A2, A1)))
                .isInstanceOf(AddressInUseException.class)
                .hasMessage("address 10.231.0.1 is already used by container 101; remove it there with "
                        + "'jvz ctl set 101 --ipdel 10.231.0.1'");
        assertThat(net.exists("102")).as("a refused setUp touches nothing").isFalse();

        net.setUp("102", List.of(A2));
        assertThatThrownBy(() -> net.addAddress("102", A1)).isInstanceOf(AddressInUseException.class)
                .hasMessageContaining("container 101");
        assertThat(net.addresses("102")).containsExactly(A2);
        assertThat(sh("ip", "-n", "jvznt-102", "-o", "addr", "show", "dev", "venet0")).doesNotContain("10.231.0.1/");
        assertThat(ping(null, A1)).as("101 keeps its address").isTrue();
    }

    @Test
    void twoContainersRacingForOneAddressGetItOnceAndTheLoserKeepsNothing() throws Exception {
        net.setUp("101", List.of());
        net.setUp("102", List.of());
        for (int round = 0; round < 5; round++) {
            var start = new java.util.concurrent.CountDownLatch(1);
            var wins = new java.util.concurrent.atomic.AtomicInteger();
            var refusals = new java.util.concurrent.atomic.AtomicInteger();
            List<Thread> threads = new java.util.ArrayList<>();
            for (String ctid : List.of("101", "102")) {
                threads.add(Thread.ofPlatform().start(() -> {
                    try {
                        start.await();
                        net.addAddress(ctid, A3);
                        wins.incrementAndGet();
                    } catch (AddressInUseException e) {
                        refusals.incrementAndGet();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            start.countDown();
            for (Thread t : threads) {
                t.join();
            }
            assertThat(wins.get()).as("round %d", round).isEqualTo(1);
            assertThat(refusals.get()).as("round %d", round).isEqualTo(1);
            String winner = net.addresses("101").contains(A3) ? "101" : "102";
            String loser = winner.equals("101") ? "102" : "101";
            assertThat(net.addresses(winner)).containsExactly(A3);
            assertThat(net.addresses(loser)).isEmpty();
            assertThat(sh("ip", "-n", PREFIX + loser, "-o", "addr", "show", "dev", "venet0"))
                    .as("round %d: the loser's address is undone", round).doesNotContain("10.231.0.3/");
            net.removeAddress(winner, A3);
        }
    }

    @Test
    void aContainerSendingFromAnotherContainersAddressIsDroppedByTheHost() throws Exception {
        net.setUp("101", List.of(A1));
        net.setUp("102", List.of(A2));
        // 101's root adds 102's address inside its own namespace and pings the host from it: the
        // host's reverse-path filter on 101's veth drops the request, so no reply reaches 102.
        // An honest ping first, so 101 has resolved the gateway: the host's reverse-path check also
        // refuses ARP requests sent from a foreign address, and then nothing would be sent at all.
        assertThat(ping("jvznt-101", CtNetwork.GATEWAY4)).isTrue();
        sh("ip", "-n", "jvznt-101", "addr", "add", "10.231.0.2/32", "dev", "venet0");
        long before = echoRepliesReceived("jvznt-102");
        Exec.run(Duration.ofSeconds(10), List.of("ip", "netns", "exec", "jvznt-101", "busybox", "ping", "-c1", "-W1",
                "-I", "10.231.0.2", "169.254.0.1"));
        assertThat(echoRepliesReceived("jvznt-102")).isEqualTo(before);

        // Control: without the filter the host does answer, and the reply lands in 102, so the
        // assertion above can fail.
        String rpFilter = "/proc/sys/net/ipv4/conf/" + net.hostInterface("101") + "/rp_filter";
        Files.writeString(Path.of(rpFilter), "0");
        Exec.run(Duration.ofSeconds(10), List.of("ip", "netns", "exec", "jvznt-101", "busybox", "ping", "-c1", "-W1",
                "-I", "10.231.0.2", "169.254.0.1"));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (echoRepliesReceived("jvznt-102") == before && System.nanoTime() < deadline) {
            Thread.sleep(50); // waits for an event with a deadline; no timing is asserted
        }
        assertThat(echoRepliesReceived("jvznt-102")).isEqualTo(before + 1);
    }

    /** Icmp InEchoReps of a namespace (/proc/net/snmp is per network namespace). */
    private static long echoRepliesReceived(String ns) throws IOException {
        List<String> icmp = sh("ip", "netns", "exec", ns, "cat", "/proc/net/snmp").lines()
                .filter(l -> l.startsWith("Icmp: ")).toList();
        List<String> names = List.of(icmp.get(0).split(" "));
        return Long.parseLong(icmp.get(1).split(" ")[names.indexOf("InEchoReps")]);
    }

    @Test
    void theHostsOwnAddressesAndForeignRoutesAreRefused() throws Exception {
        net.setUp("101", List.of());
        String hostAddr = sh("ip", "-4", "-o", "addr", "show", "scope", "global").lines()
                .map(l -> l.replaceAll(".* inet ([0-9.]+)/.*", "$1")).findFirst().orElse(null);
        if (hostAddr != null) {
            assertThatThrownBy(() -> net.addAddress("101", InetAddress.ofLiteral(hostAddr)))
                    .isInstanceOf(AddressInUseException.class).hasMessageContaining("an address of this host itself");
        }
        sh("ip", "route", "add", "10.231.0.99/32", "dev", "lo");
        try {
            assertThatThrownBy(() -> net.addAddress("101", InetAddress.ofLiteral("10.231.0.99")))
                    .isInstanceOf(AddressInUseException.class)
                    .hasMessageContaining("already routed on this host to lo, which is not a jvz container");
        } finally {
            sh("ip", "route", "del", "10.231.0.99/32", "dev", "lo");
        }
        assertThat(net.addresses("101")).isEmpty();
    }

    @Test
    void ipv6AddressesAreRoutedLikeIpv4() throws Exception {
        CtFixture.require(Files.exists(CtNetwork.SYSCTL_NET.resolve("ipv6")),
                "this kernel has no IPv6; CI must run the IPv6 routing test", "kernel without IPv6");
        net.setUp("101", List.of(A1, V6A));
        net.setUp("102", List.of(V6B));

        assertThat(net.addresses("101")).containsExactly(A1, V6A);
        assertThat(ping("jvznt-101", V6B)).isTrue();
        assertThat(ping("jvznt-102", V6A)).isTrue();
        assertThat(ping(null, V6B)).isTrue();
        net.removeAddress("102", V6B);
        assertThat(unreachable("jvznt-101", V6B)).isTrue();
        assertThatThrownBy(() -> net.addAddress("102", V6A)).isInstanceOf(AddressInUseException.class)
                .hasMessageContaining("address fd4a:765a::1 is already used by container 101");
    }

    @Test
    void tearDownLeavesNoNamespaceNoLinkAndNoRoute() throws Exception {
        boolean v6 = Files.exists(CtNetwork.SYSCTL_NET.resolve("ipv6"));
        net.setUp("101", v6 ? List.of(A1, V6A) : List.of(A1));
        String host = net.hostInterface("101");
        assertThat(sh("ip", "-o", "link")).contains(host);

        net.tearDown("101");

        assertThat(net.exists("101")).isFalse();
        assertThat(net.netnsPath("101")).doesNotExist();
        assertThat(sh("ip", "netns", "list")).doesNotContain("jvznt-101");
        assertThat(sh("ip", "-o", "link")).doesNotContain(host).doesNotContain("jvz:jvznt-");
        assertThat(sh("ip", "-4", "route", "show", "table", "all")).doesNotContain("10.231.0.").doesNotContain(host);
        assertThat(sh("ip", "-6", "route", "show", "table", "all")).doesNotContain("fd4a:765a").doesNotContain(host);
        assertThat(net.addresses("101")).isEmpty();
        net.tearDown("101"); // again: nothing to do, no failure
        net.tearDown("109"); // never set up
    }

    @Test
    void setUpAfterACrashRemovesTheLeftoversAndStartsClean() throws Exception {
        // Crash 1: a complete network left behind (jvz was killed while the container ran).
        net.setUp("101", List.of(A1));
        // Crash 2: killed in the middle of setUp, the host end still inside the new namespace.
        sh("ip", "netns", "add", "jvznt-102");
        sh("ip", "-n", "jvznt-102", "link", "add", CtNetwork.TMP_HOST_IF, "type", "veth", "peer", "name", "venet0");

        CtNetwork restarted = new CtNetwork(PREFIX);
        assertThat(restarted.containers()).as("what a restarted jvz finds").containsExactly("101", "102");
        restarted.setUp("101", List.of(A1, A3));
        restarted.setUp("102", List.of(A2));

        assertThat(restarted.addresses("101")).containsExactlyInAnyOrder(A1, A3);
        assertThat(ping("jvznt-102", A1)).isTrue();
        assertThat(ping("jvznt-101", A2)).isTrue();
        assertThat(sh("ip", "-o", "link").lines().filter(l -> l.contains("alias jvz:jvznt-"))).hasSize(2);
    }

    /**
     * Each step of setUp fails once (an ip wrapper refuses the command matching {@code step}); the
     * undo must leave no namespace, no link and no route, and a real setUp afterwards must work.
     */
    @ParameterizedTest
    @ValueSource(strings = {"netns add", "link add jvzhost0", "alias jvz:", " name ve-", "addr add 169.254.0.1/32",
            "link set venet0 up", "route replace default via 169.254.0.1", "addr replace 10.231.0.1/32",
            "route add 10.231.0.1/32"})
    void aFailureAtAnyStepOfSetUpLeavesNothingBehind(String step, @TempDir Path dir) throws Exception {
        Path wrapper = dir.resolve("ip");
        Files.writeString(wrapper, "#!/bin/sh\ncase \"$*\" in *'" + step + "'*) echo \"injected failure\" >&2; exit 2;; esac\n"
                + "exec " + ipPath() + " \"$@\"\n");
        Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwx------"));
        CtNetwork failing = new CtNetwork(PREFIX, new IpTool(wrapper.toString()));

        assertThatThrownBy(() -> failing.setUp("101", List.of(A1))).isInstanceOf(CtException.class)
                .hasMessageContaining("injected failure");

        assertThat(net.containers()).as("step '%s'", step).isEmpty();
        assertThat(net.netnsPath("101")).doesNotExist();
        assertThat(sh("ip", "-o", "link")).doesNotContain("jvz:jvznt-").doesNotContain(net.hostInterface("101"));
        assertThat(sh("ip", "-4", "route", "show", "table", "all")).doesNotContain("10.231.0.1");
        net.setUp("101", List.of(A1));
        assertThat(ping(null, A1)).isTrue();
    }

    private static String ipPath() {
        for (String p : List.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")) {
            if (Files.isExecutable(Path.of(p))) {
                return p;
            }
        }
        throw new IllegalStateException("ip is on the PATH but in none of the usual directories");
    }

    @Test
    void cleanupAllRemovesItsPrefixOnlyAndNeverAForeignLinkWithItsName() throws Exception {
        CtNetwork other = new CtNetwork("jvznu-");
        String foreign = net.hostInterface("104");
        try {
            other.cleanupAll();
            net.setUp("101", List.of(A1));
            other.setUp("101", List.of(A2)); // same CTID, other prefix: other names
            // A veth pair stands in for somebody else's interface (the dummy module may be absent).
            sh("ip", "link", "add", foreign, "type", "veth", "peer", "name", "jvzntforeign");

            assertThatThrownBy(() -> net.setUp("104", List.of(A3))).isInstanceOf(CtException.class)
                    .hasMessageContaining("network interface " + foreign + " exists but is not container 104's");
            net.tearDown("104");
            net.cleanupAll();

            assertThat(sh("ip", "-o", "link")).contains(foreign).contains(other.hostInterface("101"))
                    .doesNotContain(net.hostInterface("101"));
            assertThat(net.exists("101")).isFalse();
            assertThat(net.containers()).isEmpty();
            assertThat(other.exists("101")).isTrue();
            assertThat(other.containers()).containsExactly("101");
            assertThat(ping(null, A2)).isTrue();
        } finally {
            other.cleanupAll();
            Exec.run(Duration.ofSeconds(10), List.of("ip", "link", "del", foreign));
        }
    }

    /** One ping from namespace {@code ns} (null: the host) answered within 2 s. */
    private static boolean ping(String ns, InetAddress to) throws IOException {
        return ping(ns, to, 2);
    }

    /** No answer to one ping within 1 s (a reply after that would be a bug too, but needs no waiting for). */
    private static boolean unreachable(String ns, InetAddress to) throws IOException {
        return !ping(ns, to, 1);
    }

    private static boolean ping(String ns, InetAddress to, int seconds) throws IOException {
        List<String> ping = List.of("busybox", "ping", "-c1", "-W" + seconds, to.getHostAddress());
        List<String> cmd = new java.util.ArrayList<>(ns == null ? List.of() : List.of("ip", "netns", "exec", ns));
        cmd.addAll(ping);
        return Exec.run(Duration.ofSeconds(10), cmd).exitCode() == 0;
    }

    private static String sh(String... cmd) throws IOException {
        return Exec.check(Duration.ofSeconds(10), List.of(cmd)).stdout();
    }
}
