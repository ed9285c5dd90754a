package dev.jvz.ct;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Pattern;

/**
 * OS templates as OpenVZ kept them: one gzip tarball per template, {@code TEMPLATE/cache/NAME.tar.gz},
 * unpacked into a new container's freshly formatted root file system.
 *
 * <p>Creating is crash-safe: the root is built and packed in {@code cache/.NAME.tmp/}, the tarball
 * fsync'd, renamed over {@code cache/NAME.tar.gz} in one step and the directory fsync'd; the staging
 * directory goes away whether the build worked or not, and one a crash left is removed by the next
 * create of that name. Readers therefore see the old cache, the new one, or none, never half of one.
 * Every cache jvz writes carries {@code /etc/jvz-template} (its first member): how to boot it (see
 * {@link TemplateInfo}).
 *
 * <p>Thread-safe: create and remove of one name take an exclusive lock (a file in {@code cache/.locks/},
 * kept, so no two processes can race on its deletion) and fail at once when another jvz holds it;
 * reads need no lock, since the cache file only ever changes by rename.
 */
public final class Templates {
    /** Sub-directory of TEMPLATE holding the caches (OpenVZ's layout). */
    public static final String CACHE_DIR = "cache";
    /** File name suffix of a cache. */
    public static final String SUFFIX = ".tar.gz";
    /**
     * How long the jvz init gives the container's processes after SIGTERM before it kills them and
     * exits (its loop: 10 x 0.1 s). A caller stopping a container waits this plus a margin for the
     * init to exit, then sends SIGKILL.
     */
    public static final Duration STOP_GRACE = Duration.ofSeconds(1);
    /** Where Debian's busybox-static installs the static binary. */
    public static final Path DEFAULT_BUSYBOX = Path.of("/bin/busybox");

    /** The OS {@link #list} shows for a cache tar cannot read (truncated, not gzip). */
    public static final String UNREADABLE = "unreadable";

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,63}");
    private static final String LOCK_DIR = ".locks";

    private final Path dir;
    private final Path cacheDir;
    private final Path busybox;

    /** Templates under {@code templateDir} (TEMPLATE of jvz.conf); caches in {@code templateDir/cache}. */
    public Templates(Path templateDir) {
        this(templateDir, DEFAULT_BUSYBOX);
    }

    /** For tests: another busybox binary. */
    Templates(Path templateDir, Path busybox) {
        this.dir = templateDir.toAbsolutePath().normalize();
        this.cacheDir = dir.resolve(CACHE_DIR);
        this.busybox = busybox;
    }

    /** TEMPLATE, absolute. */
    public Path dir() {
        return dir;
    }

    /** Throws IllegalArgumentException unless {@code name} is a valid template name. */
    public static void validateName(String name) {
        if (name == null || !NAME.matcher(name).matches() || name.contains("..")) {
            throw new IllegalArgumentException("template name: " + name + " (expected lower-case letters, digits, "
                    + "'.', '_', '-', starting with a letter or digit, at most 64 characters, e.g. debian-12)");
        }
    }

    /**
     * Throws IllegalArgumentException (naming the value) unless the Debian arguments are usable;
     * null means the default. {@link #createDebian} checks the same before it creates anything.
     */
    public static void validateDebian(String suite, String mirror, String variant) {
        DebianRoot.validate(suite != null ? suite : DebianRoot.DEFAULT_SUITE,
                mirror != null ? mirror : DebianRoot.DEFAULT_MIRROR,
                variant != null ? variant : DebianRoot.DEFAULT_VARIANT);
    }

    /** The minimal busybox template; refuses when it exists. */
    public TemplateInfo createBusybox(String name) throws CtException {
        return createBusybox(name, false);
    }

    /** The minimal busybox template from the host's static busybox; {@code force} replaces an existing one. */
    public TemplateInfo createBusybox(String name, boolean force) throws CtException {
        return create(name, force, root -> BusyboxRoot.build(busybox, root, name));
    }

    /** A Debian template; refuses when it exists. Null suite, mirror or variant mean the defaults. */
    public TemplateInfo createDebian(String name, String suite, String mirror, String variant) throws CtException {
        return createDebian(name, suite, mirror, variant, false);
    }

    /**
     * A Debian template by {@code debootstrap [--variant=V] SUITE DIR MIRROR} (defaults: bookworm,
     * http://deb.debian.org/debian, minbase); takes minutes. {@code force} replaces an existing one.
     */
    public TemplateInfo createDebian(String name, String suite, String mirror, String variant, boolean force)
            throws CtException {
        String s = suite != null ? suite : DebianRoot.DEFAULT_SUITE;
        String m = mirror != null ? mirror : DebianRoot.DEFAULT_MIRROR;
        String v = variant != null ? variant : DebianRoot.DEFAULT_VARIANT;
        DebianRoot.validate(s, m, v);
        return create(name, force, root -> DebianRoot.build(s, m, v, root, name));
    }

    /** Every template cache, by name. */
    public List<TemplateInfo> list() throws CtException {
        List<TemplateInfo> out = new ArrayList<>();
        try {
            for (String n : names()) {
                Path f = cacheFile(n);
                try {
                    out.add(info(n, f));
                } catch (NoSuchFileException e) {
                    // removed while we listed: not there any more
                } catch (IOException e) {
                    // One broken cache must not hide the others; 'get' and 'unpack' report its error.
                    var attrs = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
                    out.add(new TemplateInfo(n, f, attrs.size(), attrs.lastModifiedTime().toInstant(), UNREADABLE));
                }
            }
        } catch (IOException e) {
            throw new CtException("cannot list templates in " + cacheDir + ": " + e.getMessage(), e);
        }
        out.sort(Comparator.comparing(TemplateInfo::name));
        return out;
    }

    /** The template {@code name}; {@link TemplateNotFoundException} when there is no such cache. */
    public TemplateInfo get(String name) throws CtException {
        validateName(name);
        Path f = cacheFile(name);
        try {
            return info(name, f);
        } catch (NoSuchFileException e) {
            throw notFound(name);
        } catch (IOException e) {
            throw new CtException("cannot read template '" + name + "' (" + f + "): " + e.getMessage(), e);
        }
    }

    /**
     * Unpacks the cache into {@code rootDir}, which must be an empty directory (a freshly made ext4
     * with only lost+found counts as empty): owners (numeric), modes, device nodes, symlinks, hard
     * links, extended attributes and ACLs as stored. Needs root.
     */
    public void unpack(String name, Path rootDir) throws CtException {
        TemplateInfo t = get(name);
        try {
            if (!Files.isDirectory(rootDir)) {
                throw new CtException("cannot unpack template '" + name + "': " + rootDir + " is not a directory");
            }
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(rootDir)) {
                for (Path p : ds) {
                    if (!p.getFileName().toString().equals("lost+found")) {
                        throw new CtException("cannot unpack template '" + name + "' into " + rootDir
                                + ": it is not empty (" + p.getFileName() + "); unpack only into a new root file system");
                    }
                }
            }
            Tar.unpack(t.cache(), rootDir);
        } catch (IOException e) {
            throw new CtException("cannot unpack template '" + name + "' into " + rootDir + ": " + e.getMessage(), e);
        }
    }

    /** Deletes the cache; containers made from it are not affected. */
    public void remove(String name) throws CtException {
        validateName(name);
        try (NameLock l = lock(name, "remove")) {
            Path f = cacheFile(name);
            if (!Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                throw notFound(name);
            }
            Files.delete(f);
            RootFs.fsync(cacheDir);
        } catch (IOException e) {
            throw new CtException("cannot remove template '" + name + "': " + e.getMessage(), e);
        }
    }

    /** Builds a root file system in an empty directory and returns its OS string. */
    @FunctionalInterface
    interface RootBuilder {
        String build(Path root) throws CtException, IOException;
    }

    private TemplateInfo create(String name, boolean force, RootBuilder builder) throws CtException {
        validateName(name);
        Path target = cacheFile(name);
        Path staging = cacheDir.resolve("." + name + ".tmp");
        try (NameLock l = lock(name, "create")) {
            if (Files.exists(target, LinkOption.NOFOLLOW_LINKS) && !force) {
                throw new CtException("template '" + name + "' already exists (" + target + "); remove it first "
                        + "('jvz template remove " + name + "') or create it again with --force");
            }
            RootFs.deleteTree(staging); // what a crashed create of this name left
            Files.createDirectory(staging,
                    PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
            try {
                Path root = staging.resolve("root");
                RootFs.mkdir(staging, "root", 0755);
                String os = builder.build(root);
                TemplateMeta meta = new TemplateMeta(name, os, JvzInit.PATH, JvzInit.STOP_SIGNAL,
                        Instant.now().truncatedTo(ChronoUnit.SECONDS));
                RootFs.write(root, TemplateMeta.PATH, meta.format(), 0644);
                Path packed = staging.resolve(name + SUFFIX);
                Tar.pack(root, packed, staging.resolve("members"));
                RootFs.fsync(packed);
                // rename(2): atomic, and replaces the old cache for --force.
                Files.move(packed, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                RootFs.fsync(cacheDir);
            } catch (CtException | IOException | RuntimeException e) {
                try {
                    RootFs.deleteTree(staging);
                } catch (IOException cleanup) {
                    e.addSuppressed(cleanup); // the build failure is the news; the message names the leftover
                }
                throw e;
            }
            RootFs.deleteTree(staging);
            return info(name, target);
        } catch (IOException e) {
            throw new CtException("cannot create template '" + name + "': " + e.getMessage()
                    + (Files.exists(staging, LinkOption.NOFOLLOW_LINKS) ? "; remove " + staging + " by hand" : ""), e);
        }
    }

    private TemplateInfo info(String name, Path f) throws IOException {
        var attrs = Files.readAttributes(f, java.nio.file.attribute.BasicFileAttributes.class);
        Instant mtime = attrs.lastModifiedTime().toInstant();
        String text = Tar.readMeta(f);
        TemplateMeta m = text == null ? TemplateMeta.defaults(name, mtime) : TemplateMeta.parse(text, name, mtime);
        return new TemplateInfo(name, f, attrs.size(), m.created(), m.os(), m.init(), m.stopSignal());
    }

    private List<String> names() throws IOException {
        List<String> out = new ArrayList<>();
        if (!Files.isDirectory(cacheDir)) {
            return out;
        }
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(cacheDir, "*" + SUFFIX)) {
            for (Path p : ds) {
                String f = p.getFileName().toString();
                String n = f.substring(0, f.length() - SUFFIX.length());
                if (NAME.matcher(n).matches() && Files.isRegularFile(p)) {
                    out.add(n);
                }
            }
        }
        return out;
    }

    private Path cacheFile(String name) {
        return cacheDir.resolve(name + SUFFIX);
    }

    private TemplateNotFoundException notFound(String name) throws CtException {
        List<String> names;
        try {
            names = names();
        } catch (IOException e) {
            names = List.of();
        }
        names = names.stream().sorted().toList();
        return new TemplateNotFoundException(name, "no template '" + name + "' in " + cacheDir + " (templates there: "
                + (names.isEmpty() ? "none" : String.join(", ", names)) + "); create it with 'jvz template create "
                + "busybox " + name + "' or 'jvz template create debian " + name + "'");
    }

    private NameLock lock(String name, String op) throws IOException, CtException {
        Path locks = cacheDir.resolve(LOCK_DIR);
        Files.createDirectories(locks);
        FileChannel ch = FileChannel.open(locks.resolve(name + ".lock"), StandardOpenOption.CREATE,
                StandardOpenOption.WRITE);
        FileLock fl;
        try {
            fl = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            fl = null; // this JVM holds it: another thread works on the same name
        } catch (IOException e) {
            ch.close();
            throw e;
        }
        if (fl == null) {
            ch.close();
            throw new CtException("cannot " + op + " template '" + name + "': another jvz command is creating or "
                    + "removing it; wait for it to finish");
        }
        return new NameLock(ch);
    }

    /** An exclusive lock on one template name; closing releases it. */
    private record NameLock(FileChannel channel) implements AutoCloseable {
        @Override
        public void close() throws IOException {
            channel.close();
        }
    }
}
