package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chain half of info, ready for the DiskDescriptor.xml input: several deltas, base first. */
class DiskInfoTest {
    @TempDir
    Path dir;

    @Test
    void aStackCountsEachVirtualClusterOnceAndListsDeltasBaseFirst() throws Exception {
        Path base = Images.withData(dir.resolve("root.hdd"), 16, 0, 1);
        Path top = dir.resolve("root.hdd.top");
        Image.create(top, CreateOptions.of(16 * Images.MIB));
        try (Image stack = Image.openStack(List.of(base, top), true)) {
            stack.write(Images.MIB, ByteBuffer.wrap(new byte[(int) Images.MIB])); // overrides cluster 1
            stack.write(2 * Images.MIB, ByteBuffer.wrap(new byte[(int) Images.MIB])); // new cluster 2
        }
        DiskInfo info = DiskInfo.read(List.of(base, top));
        assertThat(info.allocatedClusters()).isEqualTo(3);
        assertThat(info.clusters()).isEqualTo(16);
        assertThat(info.deltas()).extracting(DiskInfo.DeltaInfo::file).containsExactly(base.toString(), top.toString());
        assertThat(info.deltas()).extracting(DiskInfo.DeltaInfo::allocatedClusters).containsExactly(2L, 2L);

        StringWriter sw = new StringWriter();
        InfoCommand.printHuman(new PrintWriter(sw), info);
        assertThat(sw.toString())
                .contains("allocated:         3 of 16 clusters (3 MiB)")
                .contains("deltas (base first):")
                .contains("  [0] image:       " + base)
                .contains("  [1] image:       " + top);
    }

    @Test
    void deltasThatDisagreeAreRefused() throws Exception {
        Path base = Images.withData(dir.resolve("root.hdd"), 16, 0);
        Path top = dir.resolve("root.hdd.top");
        Image.create(top, new CreateOptions(16 * Images.MIB, 256, 2));
        assertThatThrownBy(() -> DiskInfo.read(List.of(base, top)))
                .isInstanceOf(ImageException.class)
                .hasMessageContaining("cluster size");
    }

    @Test
    void flagNamesCoverKnownAndUnknownBits() {
        assertThat(DiskInfo.flagNames(0)).isEmpty();
        assertThat(DiskInfo.flagNames(1)).containsExactly("empty");
        assertThat(DiskInfo.flagNames(3)).containsExactly("empty", "conversion_in_progress");
        assertThat(DiskInfo.flagNames(0x11)).containsExactly("empty", "0x10");
    }
}
