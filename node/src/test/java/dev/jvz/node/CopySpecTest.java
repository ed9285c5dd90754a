package dev.jvz.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;

class CopySpecTest {
    @Test
    void exactlyOneDestination() {
        assertThatThrownBy(() -> new CopySpec(null, null, false, false, false, 0, null, null, null, null, false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exactly one destination");
        assertThatThrownBy(() -> new CopySpec("/a", "h:1", false, false, false, 0, null, null, null, null, false))
                .hasMessageContaining("got 2");
    }

    @Test
    void aRelayWithoutFeedbackNeedsLegacyAndCompressionNeedsJvz() {
        assertThatThrownBy(() -> new CopySpec(null, null, true, false, false, 0, null, null, null, null, false))
                .hasMessageContaining("legacy");
        assertThatThrownBy(() -> new CopySpec(null, "h:1", false, true, true, 0, null, null, null, null, false))
                .hasMessageContaining("jvz protocol");
        assertThat(new CopySpec(null, null, true, true, false, 0, null, null, null, null, false).relay()).isTrue();
    }

    @Test
    void theCodecAndTheDigestAreCheckedAndTheCodecMapsToTheJvzOption() {
        assertThatThrownBy(() -> new CopySpec(null, "h:1", false, false, true, 0, null, null, null, null, false, null,
                "lz5")).hasMessageContaining("zstd or lz4");
        assertThatThrownBy(() -> new CopySpec(null, "h:1", false, true, false, 0, null, null, null, null, false, true,
                null)).hasMessageContaining("no final digest");
        assertThat(new CopySpec(null, "h:1", false, false, true, 0, null, null, null, null, false, null, "lz4")
                .compression()).isEqualTo(dev.jvz.copy.JvzOptions.Codec.LZ4);
        assertThat(new CopySpec(null, "h:1", false, false, true, 0, null, null, null, null, false, null, null)
                .compression()).isEqualTo(dev.jvz.copy.JvzOptions.Codec.ZSTD);
        assertThat(new CopySpec(null, "h:1", false, false, false, 0, null, null, null, null, false, null, "lz4")
                .compression()).isNull();
    }

    @Test
    void aCopyRequestRoundTripsThroughTheControlProtocol() throws Exception {
        CopySpec spec = new CopySpec(null, "node2:4000", false, false, true, 1 << 20, 200L, 65536, "kill -STOP 1",
                30L, false, false, "lz4");
        NodeProtocol.Request req = new NodeProtocol.Request("copy", "/d/DiskDescriptor.xml", null, null, null, null,
                null, spec);
        String line = NodeProtocol.JSON.writeValueAsString(req);
        NodeProtocol.Request back = NodeProtocol.JSON.readValue(line, NodeProtocol.Request.class);
        assertThat(back).isEqualTo(req);
        // Other ops leave it out of the line entirely.
        JsonNode status = NodeProtocol.JSON.valueToTree(NodeProtocol.Request.of("status"));
        assertThat(status.has("copy")).isFalse();
    }
}
