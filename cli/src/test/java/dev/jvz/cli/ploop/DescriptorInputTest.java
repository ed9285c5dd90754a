package dev.jvz.cli.ploop;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.cli.Cli;
import dev.jvz.cli.Json;
import dev.jvz.image.CreateOptions;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.Image;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** info and export take a DiskDescriptor.xml (or its directory) and read the disk's whole active chain. */
class DescriptorInputTest {
    @TempDir
    Path tmp;

    private static JsonNode json(Cli.Result r) throws Exception {
        assertThat(r.exitCode()).as(r.toString()).isZero();
        return Json.mapper().readTree(r.out());
    }

    @Test
    void infoListsTheChainBaseFirstAndCountsEachClusterOnce() throws Exception {
        Path xml = Disks.create(tmp.resolve("root.hdd"), 16);
        Disks.write(xml, 0, 1);
        Disks.write(xml, 1, 1);
        Cli.run("ploop", "snapshot", xml.toString());
        Disks.write(xml, 1, 2);
        Disks.write(xml, 2, 2);
        Path top;
        try (Disk d = Disk.open(xml)) {
            top = d.fileOf(DiskDescriptor.TOP_GUID);
        }
        for (Path arg : new Path[] {xml, xml.getParent()}) {
            JsonNode j = json(Cli.run("ploop", "info", "--json", arg.toString()));
            assertThat(j.get("allocated_clusters").asLong()).isEqualTo(3);
            assertThat(j.get("deltas")).hasSize(2);
            assertThat(j.get("deltas").get(0).get("file").asText()).isEqualTo(xml.resolveSibling("root.hdd").toString());
            assertThat(j.get("deltas").get(1).get("file").asText()).isEqualTo(top.toString());
            assertThat(j.get("deltas").get(1).get("allocated_clusters").asLong()).isEqualTo(2);
        }
        try (Disk held = Disk.open(xml)) { // mounted: info still reads it, without the lock
            Cli.Result r = Cli.run("ploop", "info", xml.toString());
            assertThat(r.exitCode()).as(r.toString()).isZero();
            assertThat(r.out()).contains("deltas (base first):", "[1] image", top.toString());
        }
    }

    @Test
    void exportReadsTheDiskAsItsChainDoes() throws Exception {
        Path xml = Disks.create(tmp.resolve("root.hdd"), 8);
        Disks.write(xml, 0, 1);
        Disks.write(xml, 3, 1);
        Cli.run("ploop", "snapshot", xml.toString());
        Disks.write(xml, 3, 7);
        Path raw = tmp.resolve("disk.raw");
        Cli.Result r = Cli.run("ploop", "export", xml.getParent().toString(), raw.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        byte[] b = Files.readAllBytes(raw);
        assertThat(b).hasSize((int) (8 * Disks.MIB));
        assertThat(b[0]).isEqualTo((byte) 1);
        assertThat(b[(int) (3 * Disks.MIB)]).isEqualTo((byte) 7);
        assertThat(b[(int) (5 * Disks.MIB)]).isZero();
    }

    /** A raw ("Plain") base under a ploop delta, as ploop makes of a raw disk after its first snapshot. */
    @Test
    void aRawBaseIsShownAndExported() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("root.hdd"));
        byte[] base = new byte[(int) (4 * Disks.MIB)];
        Arrays.fill(base, (int) Disks.MIB, (int) (2 * Disks.MIB), (byte) 0x22);
        Files.write(dir.resolve("root.hdd"), base);
        String topFile = "root.hdd.{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}";
        Image.create(dir.resolve(topFile), CreateOptions.of(4 * Disks.MIB));
        try (Image img = Image.open(dir.resolve(topFile), true)) {
            byte[] c = new byte[(int) Disks.MIB];
            Arrays.fill(c, (byte) 0x55);
            img.write(3 * Disks.MIB, ByteBuffer.wrap(c));
        }
        String s1 = "{11111111-2222-3333-4444-555555555555}";
        Files.writeString(dir.resolve("DiskDescriptor.xml"), """
                <?xml version="1.0"?>
                <Parallels_disk_image Version="1.0">
                  <Disk_Parameters>
                    <Disk_size>8192</Disk_size><Cylinders>8</Cylinders><Heads>16</Heads><Sectors>32</Sectors>
                    <Padding>0</Padding>
                  </Disk_Parameters>
                  <StorageData><Storage><Start>0</Start><End>8192</End><Blocksize>2048</Blocksize>
                    <Image><GUID>%s</GUID><Type>Plain</Type><File>root.hdd</File></Image>
                    <Image><GUID>%s</GUID><Type>Plain</Type><File>%s</File></Image>
                  </Storage></StorageData>
                  <Snapshots><TopGUID>%s</TopGUID>
                    <Shot><GUID>%s</GUID><ParentGUID>%s</ParentGUID></Shot>
                    <Shot><GUID>%s</GUID><ParentGUID>%s</ParentGUID></Shot>
                  </Snapshots>
                </Parallels_disk_image>
                """.formatted(s1, DiskDescriptor.TOP_GUID, topFile, DiskDescriptor.TOP_GUID, s1,
                DiskDescriptor.NONE_GUID, DiskDescriptor.TOP_GUID, s1));

        JsonNode j = json(Cli.run("ploop", "info", "--json", dir.toString()));
        assertThat(j.get("allocated_clusters").asLong()).isEqualTo(4);
        assertThat(j.get("deltas").get(0).get("format").asText()).isEqualTo("raw");
        assertThat(j.get("deltas").get(0).get("version").asInt()).isZero();
        assertThat(j.get("deltas").get(1).get("format").asText()).isEqualTo("ploop");

        Path raw = tmp.resolve("disk.raw");
        Cli.Result r = Cli.run("ploop", "export", dir.resolve("DiskDescriptor.xml").toString(), raw.toString());
        assertThat(r.exitCode()).as(r.toString()).isZero();
        byte[] b = Files.readAllBytes(raw);
        assertThat(b[0]).isZero();
        assertThat(b[(int) Disks.MIB]).isEqualTo((byte) 0x22);
        assertThat(b[(int) (3 * Disks.MIB)]).isEqualTo((byte) 0x55);
    }
}
