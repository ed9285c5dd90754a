package dev.jvz.ct;

import dev.jvz.node.Exec;
import dev.jvz.node.ToolException;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Builds a Debian root with debootstrap and makes it bootable under runc: debootstrap's minbase has
 * no init at all, so the jvz init goes in as {@code /sbin/jvz-init} (and as {@code /sbin/init} when
 * nothing is there), and the host's /etc/hostname and /etc/resolv.conf, which debootstrap copies
 * in, are replaced by container defaults.
 *
 * <p>Stateless; thread-safe.
 */
final class DebianRoot {
    private DebianRoot() {}

    static final String DEFAULT_SUITE = "bookworm";
    static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";
    static final String DEFAULT_VARIANT = "minbase";
    /**
     * debootstrap variants jvz accepts: minbase (required packages + apt), buildd (+ build-essential),
     * and "default" (debootstrap's own default, required + important). fakechroot is for non-root
     * builds, which jvz does not do.
     */
    static final Set<String> VARIANTS = Set.of("minbase", "buildd", "default");
    /** A minbase download and install takes minutes; an hour means the mirror stalled. */
    static final Duration DEBOOTSTRAP_TIMEOUT = Duration.ofMinutes(60);
    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9.-]{0,31}");

    /** Checks suite, mirror and variant before anything is created; IllegalArgumentException names the value. */
    static void validate(String suite, String mirror, String variant) {
        if (suite == null || !SUITE.matcher(suite).matches()) {
            throw new IllegalArgumentException("suite: " + suite + " (expected a Debian suite or code name such as "
                    + "bookworm, trixie, stable)");
        }
        if (variant == null || !VARIANTS.contains(variant)) {
            throw new IllegalArgumentException("variant: " + variant + " (expected one of minbase, buildd, default)");
        }
        try {
            URI u = new URI(mirror == null ? "" : mirror);
            boolean web = ("http".equals(u.getScheme()) || "https".equals(u.getScheme())) && u.getHost() != null;
            boolean local = "file".equals(u.getScheme()) && u.getPath() != null && u.getPath().startsWith("/");
            if (!web && !local) {
                throw new IllegalArgumentException("mirror: " + mirror + " (expected an http://, https:// or file:/// "
                        + "URL such as " + DEFAULT_MIRROR + ")");
            }
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("mirror: " + mirror + " (not a URL: " + e.getReason() + ")", e);
        }
    }

    /** The debootstrap command line. */
    static List<String> command(String suite, String mirror, String variant, Path root) {
        List<String> cmd = new ArrayList<>(List.of("debootstrap"));
        if (!"default".equals(variant)) {
            cmd.add("--variant=" + variant);
        }
        cmd.addAll(List.of(suite, root.toString(), mirror));
        return cmd;
    }

    /** Runs debootstrap into {@code root} (an empty directory), then the jvz additions; returns the OS string. */
    static String build(String suite, String mirror, String variant, Path root, String name)
            throws CtException, IOException {
        if (!Exec.onPath("debootstrap")) {
            throw new CtException("debootstrap is not installed; install it ('apt-get install debootstrap')");
        }
        try {
            Exec.check(DEBOOTSTRAP_TIMEOUT, command(suite, mirror, variant, root));
        } catch (ToolException e) {
            throw new CtException("debootstrap of Debian " + suite + " from " + mirror + " failed: "
                    + lastLines(e.getMessage(), root) + "; check the suite name and that the mirror is reachable", e);
        }
        String version = RootFs.exists(root, "etc/debian_version")
                ? RootFs.read(root, "etc/debian_version").strip() : "";
        String os = "debian " + suite + (version.matches("[A-Za-z0-9./+~-]{1,32}") ? " " + version : "");
        removeDownloadedPackages(root);
        RootFs.write(root, "sbin/jvz-init", JvzInit.script(), 0755);
        if (!RootFs.exists(root, "sbin/init")) {
            RootFs.symlink(root, "sbin/init", "jvz-init");
        }
        RootFs.write(root, "etc/hostname", "localhost\n", 0644);
        RootFs.write(root, "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                0644);
        RootFs.write(root, "etc/resolv.conf", "# name servers: jvz ctl set ID --nameserver ADDRESS\n", 0644);
        return os;
    }

    /**
     * debootstrap leaves the .deb files it installed in /var/cache/apt/archives (about a third of a
     * minbase); every container would carry them. Removing them is what 'apt-get clean' does.
     */
    private static void removeDownloadedPackages(Path root) throws IOException {
        Path archives = RootFs.resolve(root, "var/cache/apt/archives/x").getParent();
        if (!Files.isDirectory(archives, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (var ds = Files.newDirectoryStream(archives, "*.deb")) {
            for (Path deb : ds) {
                Files.deleteIfExists(deb);
            }
        }
    }

    /**
     * debootstrap prints progress on stdout/stderr and its reason last ("E: Failed getting release
     * file ..."); Exec puts all of it in the message. Keep the last lines that matter, on one line.
     */
    private static String lastLines(String message, Path root) {
        List<String> lines = message.lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
        List<String> errors = lines.stream().filter(l -> l.startsWith("E:") || l.startsWith("W:")).toList();
        List<String> pick = errors.isEmpty() ? lines.subList(Math.max(0, lines.size() - 3), lines.size()) : errors;
        return String.join(" / ", pick);
    }
}
