package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class NetNamesTest {
    private static final String CTID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-";

    @Test
    void shortCtidOfTheDefaultPrefixGetsTheReadableName() {
        assertThat(NetNames.hostIf("jvz-", "101")).isEqualTo("ve101");
        assertThat(NetNames.netns("jvz-", "101")).isEqualTo("jvz-101");
        assertThat(NetNames.alias("jvz-", "101")).isEqualTo("jvz:jvz-101");
    }

    @Test
    void thirteenCharactersStillFitFifteenButFourteenAreHashed() {
        String thirteen = "a".repeat(13);
        assertThat(NetNames.hostIf("jvz-", thirteen)).isEqualTo("ve" + thirteen).hasSize(15);
        String fourteen = "a".repeat(14);
        assertThat(NetNames.hostIf("jvz-", fourteen)).startsWith("ve-").hasSize(15).isNotEqualTo("ve" + fourteen);
    }

    @Test
    void longCtidGetsADeterministicHashedNameOfFifteenCharacters() {
        String uuid = "c2b0a1f8-5d4e-4b7a-9a51-1f2e3d4c5b6a";
        String name = NetNames.hostIf("jvz-", uuid);
        assertThat(name).hasSize(NetNames.MAX_IFNAME).matches("ve-[0-9a-f]{12}");
        assertThat(NetNames.hostIf("jvz-", uuid)).isEqualTo(name);
        assertThat(NetNames.hostIf("jvz-", uuid.replace('a', 'b'))).isNotEqualTo(name);
    }

    @Test
    void otherPrefixesAlwaysHashSoTheyNeverTakeTheRealContainersName() {
        assertThat(NetNames.hostIf("jvznt-", "101")).matches("ve-[0-9a-f]{12}").isNotEqualTo("ve101");
        assertThat(NetNames.hostIf("jvznt-", "101")).isNotEqualTo(NetNames.hostIf("jvznu-", "101"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", ".1", "_1", "a/b", "a:b", "a b", "a\nb", "ä1", "1;rm"})
    void invalidCtidsAreRefusedWithTheRule(String ctid) {
        assertThatThrownBy(() -> NetNames.checkCtid(ctid))
                .isInstanceOf(CtException.class)
                .hasMessageContaining("invalid container ID")
                .hasMessageContaining("starting with a letter or digit");
    }

    @Test
    void ctidsOfSixtyFourCharactersAreValidAndSixtyFiveAreNot() throws CtException {
        assertThat(NetNames.checkCtid("x".repeat(64))).hasSize(64);
        assertThatThrownBy(() -> NetNames.checkCtid("x".repeat(65))).isInstanceOf(CtException.class);
        assertThatThrownBy(() -> NetNames.checkCtid(null)).isInstanceOf(CtException.class);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "jvz", "-", "jvz-t-", "JVZ-", "jvz_", "abcdefghijklmnopq-"})
    void prefixesThatCouldOverlapOthersAreRefused(String prefix) {
        assertThatThrownBy(() -> new CtNetwork(prefix)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("netnsPrefix");
    }

    @Test
    void aNetnsNameSplitsAtItsFirstDashSoPrefixesNeverClaimEachOthersNames() {
        assertThat(NetNames.ownerOfNetns("jvz-t-1")).contains(new NetNames.Owner("jvz-", "t-1"));
        assertThat(NetNames.ownerOfNetns("jvznt-101")).contains(new NetNames.Owner("jvznt-", "101"));
        assertThat(NetNames.ownerOfNetns("docker")).isEmpty();
        assertThat(NetNames.ownerOfNetns("jvz-")).isEmpty();
        assertThat(NetNames.ownerOfAlias("jvz:jvz-101")).contains(new NetNames.Owner("jvz-", "101"));
        assertThat(NetNames.ownerOfAlias("uplink to rack 3")).isEmpty();
        assertThat(NetNames.ownerOfAlias(null)).isEmpty();
    }

    @Test
    void randomValidCtidsGiveValidUniqueInterfaceNamesAndRoundTrip() throws CtException {
        long seed = System.nanoTime();
        Random rnd = new Random(seed);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < 2000; i++) {
            String prefix = rnd.nextBoolean() ? "jvz-" : "jvznt-";
            StringBuilder id = new StringBuilder().append(CTID_CHARS.charAt(rnd.nextInt(62)));
            int more = rnd.nextInt(64);
            for (int k = 0; k < more; k++) {
                id.append(CTID_CHARS.charAt(rnd.nextInt(CTID_CHARS.length())));
            }
            String ctid = NetNames.checkCtid(id.toString());
            String name = NetNames.hostIf(prefix, ctid);
            assertThat(name).as("seed %d ctid %s", seed, ctid).hasSizeLessThanOrEqualTo(15).matches("ve[A-Za-z0-9_.-]+");
            assertThat(NetNames.ownerOfNetns(NetNames.netns(prefix, ctid))).as("seed %d", seed)
                    .contains(new NetNames.Owner(prefix, ctid));
            if (names.contains(prefix + "\0" + ctid)) {
                continue;
            }
            names.add(prefix + "\0" + ctid);
            assertThat(names.add(name)).as("seed %d: %s collides", seed, name).isTrue();
        }
    }

    @Test
    void ipv6AddressesPrintInTheShortForm() {
        assertThat(CtNetwork.text(InetAddress.ofLiteral("fd4a:765a:0:0:0:0:0:1"))).isEqualTo("fd4a:765a::1");
        assertThat(CtNetwork.text(InetAddress.ofLiteral("2001:db8:0:0:1:0:0:1"))).isEqualTo("2001:db8::1:0:0:1");
        assertThat(CtNetwork.text(InetAddress.ofLiteral("2001:db8:0:1:1:1:1:1"))).isEqualTo("2001:db8:0:1:1:1:1:1");
        assertThat(CtNetwork.text(InetAddress.ofLiteral("::1"))).isEqualTo("::1");
        assertThat(CtNetwork.text(InetAddress.ofLiteral("fd00::"))).isEqualTo("fd00::");
        assertThat(CtNetwork.cidr(InetAddress.ofLiteral("10.0.0.5"))).isEqualTo("10.0.0.5/32");
        assertThat(CtNetwork.cidr(InetAddress.ofLiteral("fd00::5"))).isEqualTo("fd00::5/128");
    }

    @ParameterizedTest
    @ValueSource(strings = {"127.0.0.1", "0.0.0.0", "224.0.0.1", "169.254.3.3", "169.254.0.1", "255.255.255.255",
            "::1", "::", "fe80::5", "ff02::1"})
    void addressesThatCannotBeAContainersAreRefused(String literal) {
        assertThatThrownBy(() -> CtNetwork.checkAddress(InetAddress.ofLiteral(literal)))
                .isInstanceOf(CtException.class)
                .hasMessageContaining("cannot be a container address");
    }

    @Test
    void unicastAddressesAreAccepted() throws CtException {
        assertThat(CtNetwork.checkAddress(InetAddress.ofLiteral("10.0.0.5"))).isNotNull();
        assertThat(CtNetwork.checkAddress(InetAddress.ofLiteral("fd00::5"))).isNotNull();
        assertThat(CtNetwork.checkAddress(InetAddress.ofLiteral("203.0.113.7"))).isNotNull();
    }
}
