package dev.jvz.nbd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class OptionRequestsTest {
    private static ClientMessage.Option opt(int o, byte[] d) {
        return new ClientMessage.Option(o, d);
    }


    @Test
    void parsesExportRequest() throws Exception {
        var r = OptionRequests.parseExport(opt(Nbd.OPT_GO, TestClient.exportData("root", 3, 1)));
        assertThat(r.name()).isEqualTo("root");
        assertThat(r.infoRequests()).containsExactly(3, 1);
    }

    @Test
    void exportRequestWithTruncatedOrExtraBytesIsInvalid() {
        byte[] ok = TestClient.exportData("root", 3);
        for (byte[] bad : List.of(Arrays.copyOf(ok, ok.length - 1), Arrays.copyOf(ok, ok.length + 1),
                Arrays.copyOf(ok, 3), ByteBuffer.allocate(6).putInt(100).array())) {
            assertThatThrownBy(() -> OptionRequests.parseExport(opt(Nbd.OPT_GO, bad)))
                    .isInstanceOfSatisfying(OptionRejected.class,
                            e -> assertThat(e.replyType()).isEqualTo(Nbd.REP_ERR_INVALID));
        }
    }

    @Test
    void namesMustBeValidShortUtf8WithoutNul() {
        byte[] bad = ByteBuffer.allocate(8).putInt(2).put((byte) 0xC3).put((byte) 0x28).putShort((short) 0).array();
        assertThatThrownBy(() -> OptionRequests.parseExport(opt(Nbd.OPT_GO, bad))).hasMessageContaining("UTF-8");
        byte[] nul = ByteBuffer.allocate(7).putInt(1).put((byte) 0).putShort((short) 0).array();
        assertThatThrownBy(() -> OptionRequests.parseExport(opt(Nbd.OPT_GO, nul))).hasMessageContaining("NUL");
        byte[] longName = TestClient.exportData("x".repeat(Nbd.MAX_STRING + 1));
        assertThatThrownBy(() -> OptionRequests.parseExport(opt(Nbd.OPT_GO, longName)))
                .hasMessageContaining("exceeds the allowed maximum");
    }

    @Test
    void parsesMetaContextQueries() throws Exception {
        var r = OptionRequests.parseMetaContext(opt(Nbd.OPT_SET_META_CONTEXT,
                TestClient.metaData("", "base:allocation", "qemu:dirty-bitmap:x")));
        assertThat(r.exportName()).isEmpty();
        assertThat(r.queries()).containsExactly("base:allocation", "qemu:dirty-bitmap:x");
    }

    @Test
    void metaContextErrors() {
        assertThatThrownBy(() -> OptionRequests.parseMetaContext(opt(10, TestClient.metaData("", "nocolon"))))
                .isInstanceOfSatisfying(OptionRejected.class,
                        e -> assertThat(e.replyType()).isEqualTo(Nbd.REP_ERR_INVALID));
        String[] many = new String[Nbd.MAX_META_QUERIES + 1];
        Arrays.fill(many, "base:allocation");
        assertThatThrownBy(() -> OptionRequests.parseMetaContext(opt(10, TestClient.metaData("", many))))
                .isInstanceOfSatisfying(OptionRejected.class,
                        e -> assertThat(e.replyType()).isEqualTo(Nbd.REP_ERR_TOO_BIG));
        byte[] ok = TestClient.metaData("", "base:allocation");
        assertThatThrownBy(() -> OptionRequests.parseMetaContext(opt(10, Arrays.copyOf(ok, ok.length - 1))))
                .isInstanceOf(OptionRejected.class);
        assertThatThrownBy(() -> OptionRequests.parseMetaContext(opt(10, Arrays.copyOf(ok, ok.length + 2))))
                .isInstanceOf(OptionRejected.class);
        // A query count far larger than the data: refused before anything is allocated for it.
        byte[] huge = ByteBuffer.allocate(8).putInt(0).putInt(-1).array();
        assertThatThrownBy(() -> OptionRequests.parseMetaContext(opt(10, huge))).isInstanceOf(OptionRejected.class);
    }

    @Test
    void bufferPoolRoundsToClassesAndReuses() {
        BufferPool p = new BufferPool();
        ByteBuffer a = p.take(5000);
        assertThat(a.capacity()).isEqualTo(8192);
        assertThat(a.limit()).isEqualTo(5000);
        assertThat(a.isDirect()).isTrue();
        p.give(a);
        assertThat(p.take(8000)).isSameAs(a);
        assertThat(p.take(0).capacity()).isEqualTo(4096);
        assertThatThrownBy(() -> p.take(Nbd.MAX_REQUEST + 1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void messagesAreCutAtTheStringLimit() {
        assertThat(Replies.truncate("é".repeat(3000))).hasSizeLessThanOrEqualTo(Nbd.MAX_STRING);
        assertThat(new String(Replies.truncate("é".repeat(3000)), java.nio.charset.StandardCharsets.UTF_8))
                .isEqualTo("é".repeat(2048));
    }
}
