package dev.jvz.ct;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;

/**
 * File operations on a container root file system seen from the host, where a symlink means what it
 * would mean inside the container: {@code /sbin -> usr/sbin} and {@code /etc/x -> /usr/lib/x} are
 * resolved against the root, never against the host (writing through an absolute symlink of a
 * Debian root must not touch the host's /usr). Also the recursive delete of a half-built root,
 * which refuses to cross a mount point.
 *
 * <p>Stateless; thread-safe as far as the file system is.
 */
final class RootFs {
    private RootFs() {}

    /** Symlink hops allowed while resolving one path, as the kernel's MAXSYMLINKS (40). */
    private static final int MAX_SYMLINK_HOPS = 40;

    /**
     * The host path of {@code inside} (relative to the container's /) with every symlink of the
     * parent directories resolved inside {@code root}; the last component is not followed.
     */
    static Path resolve(Path root, String inside) throws IOException {
        List<String> todo = new ArrayList<>(parts(inside));
        String last = todo.removeLast();
        List<String> done = new ArrayList<>();
        int hops = 0;
        while (!todo.isEmpty()) {
            String c = todo.removeFirst();
            if (c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!done.isEmpty()) {
                    done.removeLast();
                }
                continue;
            }
            Path host = join(root, done).resolve(c);
            if (Files.isSymbolicLink(host)) {
                if (++hops > MAX_SYMLINK_HOPS) {
                    throw new IOException("too many symbolic links resolving /" + inside + " in " + root);
                }
                String target = Files.readSymbolicLink(host).toString();
                if (target.startsWith("/")) {
                    done.clear();
                }
                todo.addAll(0, parts(target));
            } else {
                done.add(c);
            }
        }
        return join(root, done).resolve(last);
    }

    /** Writes a file inside the root with the given mode (e.g. 0644), owned by whoever runs jvz. */
    static void write(Path root, String inside, String content, int mode) throws IOException {
        Path p = resolve(root, inside);
        Files.createDirectories(p.getParent());
        Files.deleteIfExists(p);
        Files.writeString(p, content, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW);
        chmod(p, mode);
    }

    /** Creates a directory inside the root (and its parents) and sets its mode (umask does not apply). */
    static void mkdir(Path root, String inside, int mode) throws IOException {
        Path p = resolve(root, inside);
        if (!Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
            Files.createDirectories(p);
        }
        chmod(p, mode);
    }

    /**
     * Sets all twelve mode bits: PosixFilePermissions has no set-uid, set-gid or sticky bit, which
     * /tmp needs (01777); the JDK's "unix:mode" attribute has them.
     */
    static void chmod(Path p, int mode) throws IOException {
        Files.setAttribute(p, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
    }

    /** Creates (or replaces) a symlink inside the root. */
    static void symlink(Path root, String inside, String target) throws IOException {
        Path p = resolve(root, inside);
        Files.createDirectories(p.getParent());
        Files.deleteIfExists(p);
        Files.createSymbolicLink(p, Path.of(target));
    }

    /** True when the path exists inside the root (the last component may be a dangling symlink). */
    static boolean exists(Path root, String inside) throws IOException {
        return Files.exists(resolve(root, inside), LinkOption.NOFOLLOW_LINKS);
    }

    /** Reads a small text file inside the root, following its symlinks inside the root. */
    static String read(Path root, String inside) throws IOException {
        Path p = resolve(root, inside);
        for (int hops = 0; Files.isSymbolicLink(p); hops++) {
            if (hops > MAX_SYMLINK_HOPS) {
                throw new IOException("too many symbolic links reading /" + inside + " in " + root);
            }
            String target = Files.readSymbolicLink(p).toString();
            String base = root.relativize(p.getParent()).toString();
            p = resolve(root, target.startsWith("/") ? target : base + "/" + target);
        }
        return Files.readString(p, StandardCharsets.UTF_8);
    }

    /** fsyncs a file or directory. */
    static void fsync(Path p) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /**
     * Deletes {@code dir} and everything below it, never following symlinks and never descending
     * into a mount point: whatever is still mounted below (debootstrap mounts /proc and /sys in its
     * target and may leave them after a failure) is lazily unmounted first, and the delete is
     * refused if a mount remains.
     */
    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path abs = dir.toAbsolutePath().normalize();
        List<String> mounts = mountsBelow(abs);
        for (String m : mounts.reversed()) {
            dev.jvz.node.Exec.run(java.time.Duration.ofSeconds(30), List.of("umount", "-l", m));
        }
        List<String> left = mountsBelow(abs);
        if (!left.isEmpty()) {
            throw new IOException("cannot remove " + abs + ": still mounted there: " + String.join(", ", left)
                    + "; unmount them ('umount -l PATH') and remove the directory");
        }
        Files.walkFileTree(abs, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null && !(e instanceof NoSuchFileException)) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** Mount points at or below {@code dir}, from /proc/self/mountinfo, in mount order. */
    static List<String> mountsBelow(Path dir) throws IOException {
        String prefix = dir.toString();
        List<String> out = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String[] f = line.split(" ");
            if (f.length > 4) {
                String mp = unescapeMountinfo(f[4]);
                if (mp.equals(prefix) || mp.startsWith(prefix + "/")) {
                    out.add(mp);
                }
            }
        }
        return out;
    }

    /** mountinfo escapes space, tab, newline and backslash as \ooo octal. */
    private static String unescapeMountinfo(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\\' && i + 3 < s.length()) {
                try {
                    b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
                    i += 3;
                    continue;
                } catch (NumberFormatException e) {
                    // not an escape: keep the backslash
                }
            }
            b.append(c);
        }
        return b.toString();
    }

    private static List<String> parts(String p) {
        List<String> out = new ArrayList<>();
        for (String s : p.split("/")) {
            if (!s.isEmpty()) {
                out.add(s);
            }
        }
        return out;
    }

    private static Path join(Path root, List<String> parts) {
        Path p = root;
        for (String s : parts) {
            p = p.resolve(s);
        }
        return p;
    }
}
