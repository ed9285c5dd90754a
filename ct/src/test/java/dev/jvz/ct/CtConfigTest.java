package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CtConfigTest {
    private static final Path F = Path.of("/etc/jvz/conf/101.conf");

    private static GlobalConfig global(Map<String, String> v) throws ConfigException {
        return GlobalConfig.of(Path.of("/etc/jvz/jvz.conf"), v);
    }

    @Test
    void readsEveryKeyAndFillsDefaultsFromTheGlobalConfig() throws Exception {
        GlobalConfig g = global(Map.of("VE_ROOT", "/vz/root/$VEID", "VE_PRIVATE", "/vz/private/${VEID}",
                "DEF_RAM", "1G", "DISKSPACE", "10G"));
        CtConfig c = CtConfig.from(g, "101", ShellConfig.parse(F, """
                HOSTNAME="ct101.example"
                IP_ADDRESS="10.0.0.101 fd00::101 10.0.0.102/24"
                NAMESERVER="10.0.0.1"
                CPUS="2"
                CPULIMIT="150"
                ONBOOT="yes"
                OSTEMPLATE="busybox"
                """));
        assertThat(c.hostname()).isEqualTo("ct101.example");
        assertThat(c.ipAddresses()).containsExactly(InetAddress.ofLiteral("10.0.0.101"),
                InetAddress.ofLiteral("fd00::101"), InetAddress.ofLiteral("10.0.0.102"));
        assertThat(c.nameservers()).containsExactly("10.0.0.1");
        assertThat(c.ram()).isEqualTo(1L << 30);
        assertThat(c.swap()).isZero();
        assertThat(c.diskspace()).isEqualTo(10L << 30);
        assertThat(c.cpus()).isEqualTo(2);
        assertThat(c.cpulimit()).isEqualTo(150);
        assertThat(c.onboot()).isTrue();
        assertThat(c.veRoot()).isEqualTo(Path.of("/vz/root/101"));
        assertThat(c.vePrivate()).isEqualTo(Path.of("/vz/private/101"));
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "RAM=\"lots\"|RAM in /etc/jvz/conf/101.conf: 'lots' is not a size",
        "RAM=\"512MB\"|write 512M, not 512MB",
        "IP_ADDRESS=\"10.0.0.300\"|IP_ADDRESS in /etc/jvz/conf/101.conf: '10.0.0.300' is not an IP address",
        "CPUS=\"-1\"|CPUS in /etc/jvz/conf/101.conf",
        "CPULIMIT=\"half\"|CPULIMIT in /etc/jvz/conf/101.conf",
        "ONBOOT=\"maybe\"|ONBOOT in /etc/jvz/conf/101.conf: 'maybe' must be yes or no",
        "HOSTNAME=\"bad_name!\"|HOSTNAME in /etc/jvz/conf/101.conf",
    })
    void anInvalidValueNamesTheKeyAndTheFile(String line, String message) {
        assertThatThrownBy(() -> CtConfig.from(global(Map.of()), "101", ShellConfig.parse(F, line + "\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining(message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "-1", "../etc", "a/b", "a b", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void refusesUnsafeContainerIds(String id) {
        assertThatThrownBy(() -> CtConfig.checkCtid(id)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("not a valid container ID");
    }

    @Test
    void acceptsVzctlStyleIds() throws Exception {
        assertThat(CtConfig.checkCtid("101")).isEqualTo("101");
        assertThat(CtConfig.checkCtid("web-1.a_b")).isEqualTo("web-1.a_b");
    }

    @ParameterizedTest
    @CsvSource({"512M,536870912", "1G,1073741824", "10G:11G,11811160064", "4096,4096", "2k,2048", "1T,1099511627776"})
    void sizesParseAsVzctlWritesThem(String text, long bytes) throws Exception {
        assertThat(ByteSize.parse(text, "X")).isEqualTo(bytes);
    }

    @Test
    void sizesFormatToTheShortestExactForm() {
        assertThat(ByteSize.format(536870912)).isEqualTo("512M");
        assertThat(ByteSize.format(3L << 30)).isEqualTo("3G");
        assertThat(ByteSize.format(1000)).isEqualTo("1000");
        assertThat(ByteSize.format(0)).isEqualTo("0");
    }

    @Test
    void globalDefaultsApplyWhenTheFileIsMissing() throws Exception {
        GlobalConfig g = GlobalConfig.load(Path.of("/nonexistent/jvz.conf"));
        assertThat(g.veRoot("7")).isEqualTo(Path.of("/var/lib/jvz/root/7"));
        assertThat(g.vePrivate("7")).isEqualTo(Path.of("/var/lib/jvz/private/7"));
        assertThat(g.confDir()).isEqualTo(Path.of("/etc/jvz/conf"));
        assertThat(g.runcRoot()).isEqualTo(Path.of("/run/jvz/runc"));
        assertThat(g.lockDir()).isEqualTo(Path.of("/run/jvz/lock"));
        assertThat(g.netnsPrefix()).isEqualTo("jvz-");
        assertThat(g.cgroupParent()).isEqualTo("jvz");
        assertThat(g.stopTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(g.ctConf("7")).isEqualTo(Path.of("/etc/jvz/conf/7.conf"));
    }

    @Test
    void aGlobalRootWithoutVeidIsRefused() {
        assertThatThrownBy(() -> global(Map.of("VE_ROOT", "/vz/root")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("must contain $VEID");
        assertThatThrownBy(() -> global(Map.of("STOP_TIMEOUT", "0")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("STOP_TIMEOUT");
    }

    @Test
    void ipAddressesJoinBackAsTheConfigHoldsThem() throws Exception {
        List<InetAddress> a = CtConfig.addresses("10.0.0.1  fd00::1", "X");
        assertThat(CtConfig.joinAddresses(a)).isEqualTo("10.0.0.1 fd00:0:0:0:0:0:0:1");
    }

    @Test
    void anOpenvzConfigWithOnlyPhyspagesGivesItsLimitAsRam() throws Exception {
        GlobalConfig g = global(Map.of());
        CtConfig c = CtConfig.from(g, "101", ShellConfig.parse(F, "PHYSPAGES=\"0:262144\"\nSWAPPAGES=\"0:512M\"\n"));
        assertThat(c.ram()).isEqualTo(1L << 30);
        assertThat(c.swap()).isEqualTo(512L << 20);
        CtConfig both = CtConfig.from(g, "101", ShellConfig.parse(F, "PHYSPAGES=\"0:262144\"\nRAM=\"2G\"\n"));
        assertThat(both.ram()).as("RAM wins").isEqualTo(2L << 30);
        CtConfig unl = CtConfig.from(g, "101", ShellConfig.parse(F, "PHYSPAGES=\"0:unlimited\"\n"));
        assertThat(unl.ram()).isZero();
        assertThatThrownBy(() -> CtConfig.from(g, "101", ShellConfig.parse(F, "PHYSPAGES=\"0:-5\"\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("PHYSPAGES in " + F);
    }
}
