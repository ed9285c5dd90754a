package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RuncStateTest {
    @Test
    void unknownFieldsAreIgnoredAndMissingOnesReadAsUnknown() throws Exception {
        RuncState s = RuncCli.JSON.readValue("""
                {"ociVersion":"1.0.2-dev","id":"101","pid":42,"status":"running","bundle":"/b","rootfs":"/r",
                 "created":"2026-11-26T11:43:02Z","owner":"","annotations":{"x":"y"},"newField":[1,2]}
                """, RuncState.class);
        assertThat(s.id()).isEqualTo("101");
        assertThat(s.pid()).isEqualTo(42);
        assertThat(s.status()).isEqualTo(RuncState.Status.RUNNING);
        RuncState bare = RuncCli.JSON.readValue("{\"id\":\"7\"}", RuncState.class);
        assertThat(bare.status()).isEqualTo(RuncState.Status.UNKNOWN);
        assertThat(bare.pid()).isZero();
        assertThat(RuncCli.JSON.readValue("{\"status\":\"hibernating\"}", RuncState.class).status())
                .isEqualTo(RuncState.Status.UNKNOWN);
        List<RuncState> list = RuncCli.JSON.readValue("[{\"id\":\"a\",\"status\":\"paused\"}]",
                new TypeReference<List<RuncState>>() {});
        assertThat(list.getFirst().status()).isEqualTo(RuncState.Status.PAUSED);
    }

    @Test
    void theOciSpecCarriesRootLimitsNamespacesAndCgroupPath() throws Exception {
        GlobalConfig g = GlobalConfig.of(Path.of("/x/jvz.conf"), Map.of());
        CtConfig c = CtConfig.from(g, "101", ShellConfig.parse(Path.of("/x/101.conf"), """
                HOSTNAME="h101"
                RAM="256M"
                SWAP="128M"
                CPULIMIT="50"
                CPUS="1"
                """));
        JsonNode spec = OciSpec.build(c, List.of("/sbin/init"), Path.of("/run/netns/jvz-101"), "jvz");
        assertThat(spec.at("/root/path").asText()).isEqualTo("/var/lib/jvz/root/101");
        assertThat(spec.at("/root/readonly").asBoolean()).isFalse();
        assertThat(spec.at("/hostname").asText()).isEqualTo("h101");
        assertThat(spec.at("/process/terminal").asBoolean()).isFalse();
        assertThat(spec.at("/process/args/0").asText()).isEqualTo("/sbin/init");
        assertThat(spec.at("/linux/cgroupsPath").asText()).isEqualTo("/jvz/101");
        assertThat(spec.at("/linux/resources/memory/limit").asLong()).isEqualTo(256L << 20);
        assertThat(spec.at("/linux/resources/memory/swap").asLong()).isEqualTo(384L << 20);
        assertThat(spec.at("/linux/resources/cpu/quota").asLong()).isEqualTo(50_000);
        assertThat(spec.at("/linux/resources/cpu/period").asLong()).isEqualTo(100_000);
        assertThat(spec.at("/linux/resources/cpu/cpus").asText()).isEqualTo("0");
        assertThat(spec.at("/linux/namespaces").findValuesAsText("type"))
                .containsExactly("pid", "ipc", "uts", "mount", "network");
        assertThat(spec.at("/linux/namespaces/4/path").asText()).isEqualTo("/run/netns/jvz-101");
        assertThat(spec.at("/process/capabilities/bounding").toString()).contains("CAP_NET_RAW");
        assertThat(spec.at("/mounts").findValuesAsText("destination")).contains("/proc", "/dev", "/dev/pts",
                "/dev/shm", "/dev/mqueue", "/sys");
    }
}
