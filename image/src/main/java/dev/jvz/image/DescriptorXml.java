package dev.jvz.image;

import dev.jvz.image.DiskDescriptor.ImageEntry;
import dev.jvz.image.DiskDescriptor.ImageType;
import dev.jvz.image.DiskDescriptor.Snapshot;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.xml.sax.SAXException;
import org.xml.sax.helpers.DefaultHandler;

/**
 * Reads and writes {@code DiskDescriptor.xml} (PLOOP-FORMAT.md section 2; ploop lib/xml.c, QEMU
 * docs/interop/prl-xml.txt).
 *
 * <p>Reading is hardened: no DTD, no external entities, no XInclude, at most {@link #MAX_BYTES}.
 * Writing emits what ploop writes ({@code Parallels_disk_image Version="1.0"}, which QEMU requires),
 * and {@link #store} replaces the file atomically: {@code .tmp}, fsync, rename, fsync of the directory.
 *
 * <p>Thread-safety: stateless; every call builds its own parser.
 */
final class DescriptorXml {
    private DescriptorXml() {}

    /** A descriptor of 128 images is about 40 KiB; 1 MiB leaves room for vendor extras and bounds a hostile file. */
    static final int MAX_BYTES = 1 << 20;
    /** Root element ploop, QEMU and Parallels use. */
    static final String ROOT = "Parallels_disk_image";
    /** Root element newer Virtuozzo ploop writes; same content. */
    static final String ROOT_VZ = "Virtuozzo_disk_image";
    static final String TMP_SUFFIX = ".tmp";

    static DiskDescriptor read(Path file) throws IOException, DescriptorException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new DescriptorException(file + ": " + size + " bytes exceeds the allowed maximum of " + MAX_BYTES
                    + " for a disk descriptor; this is not a DiskDescriptor.xml");
        }
        return parse(Files.readAllBytes(file), file.toString());
    }

    /** Parses descriptor bytes; {@code name} appears in messages. */
    static DiskDescriptor parse(byte[] xml, String name) throws DescriptorException {
        String fix = "; fix the file or restore it from a backup";
        if (xml.length > MAX_BYTES) {
            throw new DescriptorException(name + ": " + xml.length + " bytes exceeds the allowed maximum of "
                    + MAX_BYTES + fix);
        }
        if (xml.length == 0) {
            throw new DescriptorException(name + ": the file is empty" + fix);
        }
        Document doc;
        try {
            DocumentBuilder b = hardenedFactory().newDocumentBuilder();
            b.setErrorHandler(new DefaultHandler()); // no stderr noise; fatal errors still throw
            doc = b.parse(new ByteArrayInputStream(xml));
        } catch (SAXException e) {
            throw new DescriptorException(name + ": not well-formed XML (" + e.getMessage() + ")" + fix, e);
        } catch (IOException | ParserConfigurationException e) {
            throw new DescriptorException(name + ": cannot parse (" + e.getMessage() + ")" + fix, e);
        }
        Element root = doc.getDocumentElement();
        if (!root.getTagName().equals(ROOT) && !root.getTagName().equals(ROOT_VZ)) {
            throw new DescriptorException(name + ": root element is <" + root.getTagName() + ">, expected <" + ROOT
                    + "> or <" + ROOT_VZ + ">; this is not a DiskDescriptor.xml");
        }
        try {
            return fromDom(root);
        } catch (IllegalArgumentException e) {
            throw new DescriptorException(name + ": " + e.getMessage() + fix, e);
        }
    }

    private static DocumentBuilderFactory hardenedFactory() throws ParserConfigurationException {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
        // A descriptor never has a DOCTYPE: refusing it rules out entity expansion and external fetches.
        f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
        f.setFeature("http://xml.org/sax/features/external-general-entities", false);
        f.setFeature("http://xml.org/sax/features/external-parameter-entities", false);
        f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_DTD, "");
        f.setAttribute(XMLConstants.ACCESS_EXTERNAL_SCHEMA, "");
        f.setXIncludeAware(false);
        f.setExpandEntityReferences(false);
        f.setNamespaceAware(false);
        f.setValidating(false);
        return f;
    }

    private static DiskDescriptor fromDom(Element root) {
        Element params = required(root, "Disk_Parameters", "<" + root.getTagName() + ">");
        long diskSize = number(required(params, "Disk_size", "<Disk_Parameters>"), "<Disk_size>");
        long cylinders = optionalNumber(params, "Cylinders");
        long heads = optionalNumber(params, "Heads");
        long sectors = optionalNumber(params, "Sectors");

        Element storageData = required(root, "StorageData", "<" + root.getTagName() + ">");
        List<Element> storages = children(storageData, "Storage");
        if (storages.isEmpty()) {
            throw new IllegalArgumentException("<StorageData>/<Storage> is missing");
        }
        if (storages.size() > 1) {
            throw new IllegalArgumentException("<StorageData> has " + storages.size()
                    + " <Storage> elements; split disks are not supported");
        }
        Element storage = storages.getFirst();
        long blocksize = number(required(storage, "Blocksize", "<Storage>"), "<Blocksize>");
        if (blocksize > PloopFormat.MAX_CLUSTER_SECTORS) {
            throw new IllegalArgumentException("<Blocksize> is " + blocksize + " sectors (at most "
                    + PloopFormat.MAX_CLUSTER_SECTORS + ")");
        }
        boolean preallocated = false;
        Element pre = first(storage, "Preallocated");
        if (pre != null) {
            long v = number(pre, "<Preallocated>");
            if (v > 1) {
                throw new IllegalArgumentException("<Preallocated> is " + v + " (expected: 0 or 1)");
            }
            preallocated = v == 1;
        }
        List<Element> imageEls = children(storage, "Image");
        if (imageEls.size() > PloopFormat.MAX_DELTAS) {
            throw new IllegalArgumentException("<Storage> has " + imageEls.size() + " <Image> elements; at most "
                    + PloopFormat.MAX_DELTAS + " are allowed");
        }
        List<ImageEntry> images = new ArrayList<>();
        for (Element img : imageEls) {
            String guid = text(required(img, "GUID", "<Image>"));
            Element typeEl = first(img, "Type");
            // ploop treats a missing Type as its expanded (delta) format.
            ImageType type = typeEl == null ? ImageType.COMPRESSED : ImageType.fromXml(text(typeEl));
            String file = text(required(img, "File", "<Image> " + guid));
            images.add(new ImageEntry(guid, type, file));
        }

        Element snaps = required(root, "Snapshots", "<" + root.getTagName() + ">");
        String top = text(required(snaps, "TopGUID", "<Snapshots>"));
        List<Element> shotEls = children(snaps, "Shot");
        if (shotEls.size() > PloopFormat.MAX_DELTAS) {
            throw new IllegalArgumentException("<Snapshots> has " + shotEls.size() + " <Shot> elements; at most "
                    + PloopFormat.MAX_DELTAS + " are allowed");
        }
        List<Snapshot> shots = new ArrayList<>();
        for (Element shot : shotEls) {
            String guid = text(required(shot, "GUID", "<Shot>"));
            String parent = text(required(shot, "ParentGUID", "<Shot> " + guid));
            shots.add(new Snapshot(guid, parent, first(shot, "Temporary") != null));
        }
        if (blocksize < 0 || blocksize > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("<Blocksize> " + blocksize + " is out of range");
        }
        return new DiskDescriptor(diskSize, cylinders, heads, sectors, (int) blocksize, preallocated, images, top,
                shots);
    }

    private static Element first(Element parent, String tag) {
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                return e;
            }
        }
        return null;
    }

    private static List<Element> children(Element parent, String tag) {
        List<Element> out = new ArrayList<>();
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(tag)) {
                out.add(e);
            }
        }
        return out;
    }

    private static Element required(Element parent, String tag, String where) {
        Element e = first(parent, tag);
        if (e == null) {
            throw new IllegalArgumentException(where + "/<" + tag + "> is missing");
        }
        return e;
    }

    private static String text(Element e) {
        return e.getTextContent().strip();
    }

    private static long optionalNumber(Element parent, String tag) {
        Element e = first(parent, tag);
        return e == null ? 0 : number(e, "<" + tag + ">");
    }

    /** A non-negative integer; like ploop's strtoul(.., 0) a "0x" prefix means hex. */
    private static long number(Element e, String what) {
        String s = text(e);
        try {
            long v = s.startsWith("0x") || s.startsWith("0X") ? Long.parseUnsignedLong(s.substring(2), 16)
                    : Long.parseLong(s);
            if (v < 0) {
                throw new NumberFormatException();
            }
            return v;
        } catch (NumberFormatException ex) {
            throw new IllegalArgumentException(what + " is '" + s + "' (expected: a non-negative integer)");
        }
    }

    /** The XML ploop writes (xmlSaveFormatFile with indentation), root {@code Parallels_disk_image Version="1.0"}. */
    static String toXml(DiskDescriptor d) {
        StringBuilder b = new StringBuilder(1024);
        b.append("<?xml version=\"1.0\"?>\n");
        b.append("<").append(ROOT).append(" Version=\"1.0\">\n");
        b.append("  <Disk_Parameters>\n");
        elem(b, 4, "Disk_size", Long.toString(d.diskSizeSectors()));
        elem(b, 4, "Cylinders", Long.toString(d.cylinders()));
        elem(b, 4, "Heads", Long.toString(d.heads()));
        elem(b, 4, "Sectors", Long.toString(d.sectors()));
        elem(b, 4, "Padding", "0");
        b.append("  </Disk_Parameters>\n");
        b.append("  <StorageData>\n");
        b.append("    <Storage>\n");
        elem(b, 6, "Start", "0");
        elem(b, 6, "End", Long.toString(d.diskSizeSectors()));
        elem(b, 6, "Blocksize", Integer.toString(d.blocksize()));
        if (d.preallocated()) {
            elem(b, 6, "Preallocated", "1");
        }
        for (ImageEntry e : d.images()) {
            b.append("      <Image>\n");
            elem(b, 8, "GUID", e.guid());
            elem(b, 8, "Type", e.type().xmlName());
            elem(b, 8, "File", e.file());
            b.append("      </Image>\n");
        }
        b.append("    </Storage>\n");
        b.append("  </StorageData>\n");
        b.append("  <Snapshots>\n");
        elem(b, 4, "TopGUID", d.topGuid());
        for (Snapshot s : d.snapshots()) {
            b.append("    <Shot>\n");
            elem(b, 6, "GUID", s.guid());
            elem(b, 6, "ParentGUID", s.parentGuid());
            if (s.temporary()) {
                b.append("      <Temporary/>\n");
            }
            b.append("    </Shot>\n");
        }
        b.append("  </Snapshots>\n");
        b.append("</").append(ROOT).append(">\n");
        return b.toString();
    }

    private static void elem(StringBuilder b, int indent, String tag, String value) {
        b.repeat(' ', indent).append('<').append(tag).append('>').append(escape(value)).append("</").append(tag)
                .append(">\n");
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&apos;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /**
     * Replaces {@code file} atomically: write {@code file.tmp}, fsync it, rename it over {@code file},
     * fsync the directory. A crash leaves either the old or the new descriptor (and maybe a stale .tmp).
     */
    static void store(Path file, DiskDescriptor d) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + TMP_SUFFIX);
        ByteBuffer bytes = ByteBuffer.wrap(toXml(d).getBytes(StandardCharsets.UTF_8));
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (bytes.hasRemaining()) {
                c.write(bytes);
            }
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Delta.fsyncDirectory(file);
    }
}
