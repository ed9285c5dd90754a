package dev.jvz.ct;

import dev.jvz.node.Exec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Template caches through the system's GNU tar: gzip, numeric owners, extended attributes (file
 * capabilities such as Debian ping's cap_net_raw live in {@code security.*}, hence
 * {@code --xattrs-include=*}), ACLs, sparse files, device nodes, hard links and symlinks.
 *
 * <p>A cache jvz writes starts with {@code ./}, {@code ./etc/} and {@code ./etc/jvz-template}, so
 * the metadata is read with {@code --occurrence} after decompressing a few blocks instead of the
 * whole archive.
 *
 * <p>Stateless; thread-safe.
 */
final class Tar {
    private Tar() {}

    /** Packing a root: a Debian minbase is ~200 MB to gzip on a shared core; 30 min is far beyond it. */
    static final Duration PACK_TIMEOUT = Duration.ofMinutes(30);
    /** Unpacking into a freshly made ext4 (on an NBD-backed disk for a container): same bound. */
    static final Duration UNPACK_TIMEOUT = Duration.ofMinutes(30);
    /** Reading the metadata of a jvz cache touches a few KiB; a foreign cache is read to its end. */
    static final Duration META_TIMEOUT = Duration.ofMinutes(5);

    private static final List<String> KEEP_ALL = List.of("--numeric-owner", "--xattrs", "--xattrs-include=*",
            "--acls");

    /**
     * Packs {@code root} into {@code out} (gzip), the metadata file first. {@code listFile} is a
     * scratch file for the member list (NUL-separated, outside the root).
     */
    static void pack(Path root, Path out, Path listFile) throws IOException {
        ByteArrayOutputStream list = new ByteArrayOutputStream();
        List<String> first = List.of(".", "./etc", "./" + TemplateMeta.PATH);
        for (String f : first) {
            add(list, f);
        }
        for (String rel : walk(root)) {
            if (!first.contains(rel)) {
                add(list, rel);
            }
        }
        Files.write(listFile, list.toByteArray());
        List<String> cmd = new ArrayList<>(List.of("tar", "--create", "--gzip", "--file", out.toString()));
        cmd.addAll(KEEP_ALL);
        cmd.addAll(List.of("--sparse", "--directory", root.toString(), "--null", "--verbatim-files-from",
                "--no-recursion", "--files-from", listFile.toString()));
        Exec.check(PACK_TIMEOUT, cmd);
    }

    /** Unpacks {@code cache} into {@code dir} as root: owners, modes, devices, xattrs, ACLs as stored. */
    static void unpack(Path cache, Path dir) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("tar", "--extract", "--gzip", "--file", cache.toString(),
                "--directory", dir.toString(), "--same-owner", "--same-permissions"));
        cmd.addAll(KEEP_ALL);
        Exec.check(UNPACK_TIMEOUT, cmd);
    }

    /**
     * The metadata file's text, or null when the cache has none (a cache made elsewhere).
     * A cache that tar cannot read at all throws.
     */
    static String readMeta(Path cache) throws IOException {
        Exec.Result r = Exec.run(META_TIMEOUT, List.of("tar", "--extract", "--gzip", "--file", cache.toString(),
                "--to-stdout", "--occurrence=1", "./" + TemplateMeta.PATH));
        if (r.exitCode() == 0) {
            return r.stdout().length() > TemplateMeta.MAX_BYTES ? null : r.stdout();
        }
        if (r.stderr().contains("Not found in archive")) {
            return null;
        }
        throw new IOException("cannot read template cache " + cache + ": " + r.stderr().strip()
                + "; remove it ('jvz template remove NAME') and create it again");
    }

    /** Every path below root as "./a/b", parents before children, names sorted, symlinks not followed. */
    private static List<String> walk(Path root) throws IOException {
        List<String> out = new ArrayList<>();
        walk(root, ".", out);
        return out;
    }

    private static void walk(Path dir, String rel, List<String> out) throws IOException {
        List<Path> children;
        try (Stream<Path> s = Files.list(dir)) {
            children = s.sorted().toList();
        }
        for (Path c : children) {
            String r = rel + "/" + c.getFileName();
            out.add(r);
            if (Files.isDirectory(c, LinkOption.NOFOLLOW_LINKS)) {
                walk(c, r, out);
            }
        }
    }

    private static void add(ByteArrayOutputStream list, String name) {
        list.writeBytes(name.getBytes(StandardCharsets.UTF_8));
        list.write(0);
    }
}
