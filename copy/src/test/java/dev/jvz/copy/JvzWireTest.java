package dev.jvz.copy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The jvz wire format pinned by hand-built bytes (PROTOCOL.md tables), both directions. */
class JvzWireTest {
    @TempDir
    Path dir;

    static byte[] b(int... v) {
        return LegacyStreamTest.bytes(v);
    }

    static byte[] cat(byte[]... p) {
        return LegacyStreamTest.concat(p);
    }

    // CRC32C("abc") = 0x364b3fb7 (RFC 3720 CRC, the standard check value table)
    static final byte[] SENDER_STREAM = cat(
            // HELLO: marker "JVZ1", type 1, flags 0, wire 16, raw 16, pos 0, crc 0, reserved
            b('J', 'V', 'Z', '1', 0x01, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            // version 1, features CRC32C, range size 4 MiB, 0
            b(1, 0, 0, 0, 0x01, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0),
            // DATA "abc" at 0x200, flags CRC, wire 3 raw 3, crc 0x364b3fb7
            b('J', 'V', 'Z', '1', 0x02, 0x02, 0, 0, 3, 0, 0, 0, 3, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0,
                    0xb7, 0x3f, 0x4b, 0x36, 0, 0, 0, 0), b('a', 'b', 'c'),
            // SYNC seq 1
            b('J', 'V', 'Z', '1', 0x03, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
            // END without digest
            b('J', 'V', 'Z', '1', 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));

    /** The receiver's answers to {@link #SENDER_STREAM}: its END asks for no digest, so DONE carries none. */
    static byte[] receiverReplies() {
        return cat(
                // HELLO_ACK: wire 24, version 1, features CRC32C, kept 0, range 0, count 0
                b('J', 'V', 'Z', '1', 0x41, 0, 0, 0, 24, 0, 0, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                b(1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                // SYNC_ACK seq 1
                b('J', 'V', 'Z', '1', 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
                // DONE without a digest (none was asked for), pos = length 0x203
                b('J', 'V', 'Z', '1', 0x43, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0));
    }

    static byte[] expectedFile() {
        byte[] f = new byte[0x203];
        f[0x200] = 'a';
        f[0x201] = 'b';
        f[0x202] = 'c';
        return f;
    }

    @Test
    void sinkWritesTheHandBuiltStreamExactly() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // This stream ends without a digest, so its sender does not announce the hash list (0x10).
        JvzStreamSink sink = JvzStreamSink.open(out, new ByteArrayInputStream(receiverReplies()),
                JvzOptions.defaults().withHashList(false));
        sink.write(0x200, ByteBuffer.wrap("abc".getBytes(StandardCharsets.US_ASCII)));
        sink.sync();
        sink.finish();
        assertThat(out.toByteArray()).isEqualTo(SENDER_STREAM);
        assertThat(sink.receiverDigest()).as("no digest asked, none answered").isNull();
    }

    @Test
    void receiverDecodesTheHandBuiltStreamAndAnswersExactly() throws IOException {
        Path target = dir.resolve("t");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        Receiver.Result r = new Receiver().receive(new ByteArrayInputStream(SENDER_STREAM), fb, target,
                Receiver.Options.defaults());
        assertThat(Files.readAllBytes(target)).isEqualTo(expectedFile());
        assertThat(fb.toByteArray()).isEqualTo(receiverReplies());
        assertThat(r.protocol()).isEqualTo("jvz");
        assertThat(r.sha256()).as("the END carried no digest and none was asked locally").isNull();
        assertThat(r.digest()).isEqualTo(Receiver.Digest.NONE);
    }

    @Test
    void receiverDigestsItsFileOnlyWhenAskedAndAnswersTheSame() throws IOException {
        Path target = dir.resolve("t");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        Receiver.Result r = new Receiver().receive(new ByteArrayInputStream(SENDER_STREAM), fb, target,
                Receiver.Options.defaults().withLocalDigest(true));
        assertThat(fb.toByteArray()).as("the wire is the same: DONE carries no digest").isEqualTo(receiverReplies());
        assertThat(r.sha256()).isEqualTo(Digests.sha256().digest(expectedFile()));
        assertThat(r.digest()).as("computed here, compared with nothing").isEqualTo(Receiver.Digest.LOCAL);
    }

    @Test
    void receiverDecodesTheStreamFedOneByteAtATime() throws IOException {
        Path target = dir.resolve("t");
        ByteArrayInputStream slow = new ByteArrayInputStream(SENDER_STREAM) {
            @Override
            public synchronized int read(byte[] b, int off, int len) {
                return super.read(b, off, Math.min(len, 1));
            }
        };
        new Receiver().receive(slow, new ByteArrayOutputStream(), target, Receiver.Options.defaults());
        assertThat(Files.readAllBytes(target)).isEqualTo(expectedFile());
    }

    @Test
    void unknownFrameTypeIsRefused() {
        byte[] bad = SENDER_STREAM.clone();
        bad[48 + 4] = 0x7e; // the DATA frame's type
        Path target = dir.resolve("t");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Receiver().receive(
                new ByteArrayInputStream(bad), new ByteArrayOutputStream(), target, Receiver.Options.defaults()))
                .isInstanceOf(CopyProtocolException.class).hasMessageContaining("unexpected jvz frame type 0x7e");
        assertThat(target).doesNotExist();
    }

    @Test
    void unsupportedVersionIsRefusedWithWhatToDo() {
        byte[] bad = SENDER_STREAM.clone();
        bad[32] = 9;
        Path target = dir.resolve("t");
        ByteArrayOutputStream fb = new ByteArrayOutputStream();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new Receiver().receive(
                new ByteArrayInputStream(bad), fb, target, Receiver.Options.defaults()))
                .hasMessageContaining("version 9 is not supported").hasMessageContaining("same jvz version");
        assertThat(fb.toByteArray()[4] & 0xff).isEqualTo(JvzFormat.ERROR);
        assertThat(Arrays.copyOf(fb.toByteArray(), 4)).isEqualTo(new byte[] {'J', 'V', 'Z', '1'});
    }
}
