package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.DiskDescriptor.ImageEntry;
import dev.jvz.image.DiskDescriptor.ImageType;
import dev.jvz.image.DiskDescriptor.Snapshot;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DescriptorXmlTest {
    static final String TOP = DiskDescriptor.TOP_GUID;
    static final String NONE = DiskDescriptor.NONE_GUID;
    static final String S1 = "{11111111-2222-3333-4444-555555555555}";
    static final String S2 = "{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}";

    /** Written by hand from PLOOP-FORMAT.md section 2 / ploop lib/xml.c: what ploop stores for a disk with one snapshot. */
    static final String GOLDEN = """
            <?xml version="1.0"?>
            <Parallels_disk_image Version="1.0">
              <Disk_Parameters>
                <Disk_size>20971520</Disk_size>
                <Cylinders>40960</Cylinders>
                <Heads>16</Heads>
                <Sectors>32</Sectors>
                <Padding>0</Padding>
              </Disk_Parameters>
              <StorageData>
                <Storage>
                  <Start>0</Start>
                  <End>20971520</End>
                  <Blocksize>2048</Blocksize>
                  <Image>
                    <GUID>{11111111-2222-3333-4444-555555555555}</GUID>
                    <Type>Compressed</Type>
                    <File>root.hdd</File>
                  </Image>
                  <Image>
                    <GUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</GUID>
                    <Type>Compressed</Type>
                    <File>root.hdd.{aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee}</File>
                  </Image>
                </Storage>
              </StorageData>
              <Snapshots>
                <TopGUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</TopGUID>
                <Shot>
                  <GUID>{11111111-2222-3333-4444-555555555555}</GUID>
                  <ParentGUID>{00000000-0000-0000-0000-000000000000}</ParentGUID>
                </Shot>
                <Shot>
                  <GUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</GUID>
                  <ParentGUID>{11111111-2222-3333-4444-555555555555}</ParentGUID>
                </Shot>
              </Snapshots>
            </Parallels_disk_image>
            """;

    @TempDir
    Path dir;

    static DiskDescriptor parse(String xml) throws DescriptorException {
        return DescriptorXml.parse(xml.getBytes(StandardCharsets.UTF_8), "DiskDescriptor.xml");
    }

    @Test
    void goldenParsesAndWritesBackByteForByte() throws Exception {
        DiskDescriptor d = parse(GOLDEN);
        assertThat(d.diskSizeSectors()).isEqualTo(20971520);
        assertThat(d.blocksize()).isEqualTo(2048);
        assertThat(d.topGuid()).isEqualTo(TOP);
        assertThat(d.images()).containsExactly(new ImageEntry(S1, ImageType.COMPRESSED, "root.hdd"),
                new ImageEntry(TOP, ImageType.COMPRESSED, "root.hdd." + S2));
        assertThat(d.snapshots()).containsExactly(new Snapshot(S1, NONE, false), new Snapshot(TOP, S1, false));
        assertThat(d.activeChain()).extracting(ImageEntry::guid).containsExactly(S1, TOP);
        assertThat(DescriptorXml.toXml(d)).isEqualTo(GOLDEN);
    }

    @Test
    void virtuozzoRootIsReadAndWrittenAsParallels() throws Exception {
        String vz = GOLDEN.replace("Parallels_disk_image Version=\"1.0\"", "Virtuozzo_disk_image")
                .replace("</Parallels_disk_image>", "</Virtuozzo_disk_image>");
        DiskDescriptor d = parse(vz);
        assertThat(d).isEqualTo(parse(GOLDEN));
        assertThat(DescriptorXml.toXml(d)).isEqualTo(GOLDEN);
    }

    @Test
    void temporaryPreallocatedAndHexNumbersRoundTrip() throws Exception {
        String xml = GOLDEN.replace("<Blocksize>2048</Blocksize>", "<Blocksize>0x800</Blocksize>\n<Preallocated>1</Preallocated>")
                .replace("<ParentGUID>{00000000-0000-0000-0000-000000000000}</ParentGUID>",
                        "<ParentGUID>{00000000-0000-0000-0000-000000000000}</ParentGUID><Temporary/>");
        DiskDescriptor d = parse(xml);
        assertThat(d.blocksize()).isEqualTo(2048);
        assertThat(d.preallocated()).isTrue();
        assertThat(d.snapshot(S1).temporary()).isTrue();
        String out = DescriptorXml.toXml(d);
        assertThat(out).contains("      <Preallocated>1</Preallocated>\n").contains("      <Temporary/>\n");
        assertThat(parse(out)).isEqualTo(d);
    }

    @Test
    void upperCaseGuidsAreNormalizedToLowerCase() throws Exception {
        DiskDescriptor d = parse(GOLDEN.replace(S2, S2.toUpperCase().replace("{", "{")).replace(TOP, TOP.toUpperCase()));
        assertThat(d.topGuid()).isEqualTo(TOP);
        assertThat(d.image(TOP).file()).isEqualTo("root.hdd." + S2.toUpperCase());
    }

    @Test
    void fileNamesAreEscaped() throws Exception {
        DiskDescriptor d = DiskDescriptor.single("a&b<c>.hdd", ImageType.COMPRESSED, PloopHeader.create(2, 1 << 20, 2048));
        String xml = DescriptorXml.toXml(d);
        assertThat(xml).contains("<File>a&amp;b&lt;c&gt;.hdd</File>");
        assertThat(parse(xml)).isEqualTo(d);
    }

    @Test
    void storeReplacesAtomicallyAndLeavesNoTmp() throws Exception {
        Path f = dir.resolve("DiskDescriptor.xml");
        DiskDescriptor d = parse(GOLDEN);
        DescriptorXml.store(f, d);
        DescriptorXml.store(f, d.withDiskSize(40960, 80));
        assertThat(DescriptorXml.read(f).diskSizeSectors()).isEqualTo(40960);
        assertThat(dir.resolve("DiskDescriptor.xml.tmp")).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "<", "<Parallels_disk_image>", "not xml at all",
            "<Parallels_disk_image></Virtuozzo_disk_image>"})
    void malformedXmlIsADescriptorException(String xml) {
        assertThatThrownBy(() -> parse(xml)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("DiskDescriptor.xml");
    }

    @Test
    void doctypeAndExternalEntitiesAreRefused() throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "{5fbaabe3-6958-40ff-92a7-860e329aab41}");
        String xxe = "<?xml version=\"1.0\"?>\n<!DOCTYPE x [<!ENTITY e SYSTEM \"" + secret.toUri() + "\">]>\n"
                + GOLDEN.substring(GOLDEN.indexOf('\n') + 1).replace("<TopGUID>" + TOP, "<TopGUID>&e;");
        assertThatThrownBy(() -> parse(xxe)).isInstanceOf(DescriptorException.class).hasMessageContaining("DOCTYPE");
        String bomb = "<?xml version=\"1.0\"?><!DOCTYPE a [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><a>&b;</a>";
        assertThatThrownBy(() -> parse(bomb)).isInstanceOf(DescriptorException.class);
    }

    @Test
    void oversizedFileIsRefusedBeforeParsing() throws Exception {
        Path f = dir.resolve("DiskDescriptor.xml");
        Files.write(f, new byte[DescriptorXml.MAX_BYTES + 1]);
        assertThatThrownBy(() -> DescriptorXml.read(f)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("exceeds the allowed maximum");
    }

    @Test
    void wrongRootIsRefused() {
        assertThatThrownBy(() -> parse("<disk/>")).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("root element is <disk>");
    }

    @Test
    void cyclicParentsGiveAClearError() {
        // S1 -> S2 -> S1, with a separate base so "one base" holds and only the walk finds the cycle.
        String s3 = "{33333333-3333-3333-3333-333333333333}";
        String xml = build(List.of(img(s3, "base"), img(S1, "a"), img(S2, "b"), img(TOP, "top")), TOP,
                List.of(shot(s3, NONE), shot(S1, S2), shot(S2, S1), shot(TOP, S1)));
        assertThatThrownBy(() -> parse(xml)).isInstanceOf(DescriptorException.class).hasMessageContaining("cycle");
        String noBase = build(List.of(img(S1, "a"), img(TOP, "top")), TOP, List.of(shot(S1, TOP), shot(TOP, S1)));
        assertThatThrownBy(() -> parse(noBase)).isInstanceOf(DescriptorException.class).hasMessageContaining("cycle");
        String self = build(List.of(img(TOP, "top")), TOP, List.of(shot(TOP, TOP)));
        assertThatThrownBy(() -> parse(self)).isInstanceOf(DescriptorException.class).hasMessageContaining("cycle");
    }

    @Test
    void danglingParentIsRefused() {
        String xml = build(List.of(img(S1, "a"), img(TOP, "top")), TOP, List.of(shot(S1, NONE), shot(TOP, S2)));
        assertThatThrownBy(() -> parse(xml)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("dangling").hasMessageContaining(S2);
    }

    @Test
    void duplicateGuidsAreRefused() {
        String dupImage = build(List.of(img(TOP, "a"), img(TOP, "b")), TOP, List.of(shot(TOP, NONE)));
        assertThatThrownBy(() -> parse(dupImage)).isInstanceOf(DescriptorException.class).hasMessageContaining("twice");
        String dupShot = build(List.of(img(TOP, "a")), TOP, List.of(shot(TOP, NONE), shot(TOP, NONE)));
        assertThatThrownBy(() -> parse(dupShot)).isInstanceOf(DescriptorException.class).hasMessageContaining("twice");
        String dupFile = build(List.of(img(S1, "a"), img(TOP, "./a")), TOP, List.of(shot(S1, NONE), shot(TOP, S1)));
        assertThatThrownBy(() -> parse(dupFile)).isInstanceOf(DescriptorException.class).hasMessageContaining("twice");
    }

    @Test
    void missingOrUnknownReferencesAreRefused() {
        String topMissing = build(List.of(img(S1, "a")), TOP, List.of(shot(S1, NONE)));
        assertThatThrownBy(() -> parse(topMissing)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("<TopGUID>");
        String shotWithoutImage = build(List.of(img(TOP, "a")), TOP, List.of(shot(TOP, NONE), shot(S1, TOP)));
        assertThatThrownBy(() -> parse(shotWithoutImage)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("has no <Image>");
        String imageWithoutShot = build(List.of(img(TOP, "a"), img(S1, "b")), TOP, List.of(shot(TOP, NONE)));
        assertThatThrownBy(() -> parse(imageWithoutShot)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("has no <Shot>");
        String twoBases = build(List.of(img(TOP, "a"), img(S1, "b")), TOP, List.of(shot(TOP, NONE), shot(S1, NONE)));
        assertThatThrownBy(() -> parse(twoBases)).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("two base images");
        assertThatThrownBy(() -> parse(GOLDEN.replace("<TopGUID>{5fbaabe3-6958-40ff-92a7-860e329aab41}</TopGUID>", "")))
                .isInstanceOf(DescriptorException.class).hasMessageContaining("<Snapshots>/<TopGUID> is missing");
        assertThatThrownBy(() -> parse(GOLDEN.replace("<Blocksize>2048</Blocksize>", "<Blocksize>1000</Blocksize>")))
                .isInstanceOf(DescriptorException.class).hasMessageContaining("<Blocksize> is 1000");
        assertThatThrownBy(() -> parse(GOLDEN.replace("<Disk_size>20971520</Disk_size>", "<Disk_size>-5</Disk_size>")))
                .isInstanceOf(DescriptorException.class).hasMessageContaining("<Disk_size>");
        assertThatThrownBy(() -> parse(GOLDEN.replaceFirst("<Type>Compressed</Type>", "<Type>Sparse</Type>")))
                .isInstanceOf(DescriptorException.class).hasMessageContaining("<Type> is 'Sparse'");
        assertThatThrownBy(() -> parse(GOLDEN.replace("</Storage>", "</Storage><Storage/>")))
                .isInstanceOf(DescriptorException.class).hasMessageContaining("split disks");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{5fbaabe3-6958-40ff-92a7-860e329aab4}", "5fbaabe3-6958-40ff-92a7-860e329aab41",
            "{5fbaabe3-6958-40ff-92a7-860e329aab4g}", "{5fbaabe3_6958-40ff-92a7-860e329aab41}", ""})
    void badGuidSyntaxIsRefused(String guid) {
        String xml = build(List.of(img(guid, "a")), guid, List.of(shot(guid, NONE)));
        assertThatThrownBy(() -> parse(xml)).isInstanceOf(DescriptorException.class).hasMessageContaining("GUID");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../root.hdd", "/etc/passwd", "a/../../b", ".", "sub/../.."})
    void filesEscapingTheDirectoryAreRefused(String file) {
        String xml = build(List.of(img(TOP, file)), TOP, List.of(shot(TOP, NONE)));
        assertThatThrownBy(() -> parse(xml)).isInstanceOf(DescriptorException.class).hasMessageContaining("<File>");
    }

    @Test
    void moreThan128DeltasAreRefused() throws Exception {
        List<P> images = new ArrayList<>();
        List<P> shots = new ArrayList<>();
        String parent = NONE;
        for (int i = 0; i < 129; i++) {
            String g = i == 128 ? TOP : String.format("{%08x-0000-0000-0000-000000000000}", i + 1);
            images.add(img(g, "d" + i));
            shots.add(shot(g, parent));
            parent = g;
        }
        assertThatThrownBy(() -> parse(build(images, TOP, shots))).isInstanceOf(DescriptorException.class)
                .hasMessageContaining("at most 128");
        assertThat(parse(build(images.subList(1, 129), TOP, withBase(shots.subList(1, 129))))
                .activeChain()).hasSize(128);
    }

    private static List<P> withBase(List<P> shots) {
        List<P> out = new ArrayList<>(shots);
        out.set(0, shot(out.getFirst().guid(), NONE));
        return out;
    }

    record P(String guid, String other) {}

    static P img(String guid, String file) {
        return new P(guid, file);
    }

    static P shot(String guid, String parent) {
        return new P(guid, parent);
    }

    static String build(List<P> images, String top, List<P> shots) {
        StringBuilder b = new StringBuilder("<Parallels_disk_image Version=\"1.0\"><Disk_Parameters><Disk_size>2048"
                + "</Disk_size></Disk_Parameters><StorageData><Storage><Start>0</Start><End>2048</End>"
                + "<Blocksize>2048</Blocksize>");
        for (P i : images) {
            b.append("<Image><GUID>").append(i.guid()).append("</GUID><Type>Compressed</Type><File>").append(i.other())
                    .append("</File></Image>");
        }
        b.append("</Storage></StorageData><Snapshots><TopGUID>").append(top).append("</TopGUID>");
        for (P s : shots) {
            b.append("<Shot><GUID>").append(s.guid()).append("</GUID><ParentGUID>").append(s.other())
                    .append("</ParentGUID></Shot>");
        }
        return b.append("</Snapshots></Parallels_disk_image>").toString();
    }
}
