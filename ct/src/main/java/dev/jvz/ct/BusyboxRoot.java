package dev.jvz.ct;

import dev.jvz.node.Exec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Builds the minimal busybox root: the host's static /bin/busybox (package busybox-static), one
 * symlink per applet where {@code busybox --list-full} puts it, the jvz init, and the few files a
 * container expects in /etc. A few hundred KiB compressed; made in well under a second.
 *
 * <p>Stateless; thread-safe.
 */
final class BusyboxRoot {
    private BusyboxRoot() {}

    /** Asking busybox for its version and applet list is instant; 30 s covers a loaded machine. */
    private static final Duration QUERY_TIMEOUT = Duration.ofSeconds(30);
    /** ELF program header type of the dynamic loader path: present iff the binary is dynamic. */
    private static final int PT_INTERP = 3;
    /** Program headers read at most; real binaries have about ten. */
    private static final int MAX_PROGRAM_HEADERS = 256;
    private static final Pattern VERSION = Pattern.compile("BusyBox v(\\d+(?:\\.\\d+)*)");

    /** Fills {@code root} (an empty directory) and returns the OS string, e.g. "busybox 1.35.0". */
    static String build(Path busybox, Path root, String name) throws CtException, IOException {
        if (!Files.isExecutable(busybox)) {
            throw new CtException(busybox + " not found; install the static busybox ('apt-get install busybox-static')");
        }
        if (isDynamic(busybox)) {
            throw new CtException(busybox + " is dynamically linked and would not run inside a container without "
                    + "its libraries; install the static one ('apt-get install busybox-static')");
        }
        String banner = Exec.run(QUERY_TIMEOUT, List.of(busybox.toString())).stdout();
        Matcher m = VERSION.matcher(banner);
        String os = "busybox " + (m.find() ? m.group(1) : "unknown");
        List<String> applets = Exec.check(QUERY_TIMEOUT, List.of(busybox.toString(), "--list-full")).stdout()
                .lines().map(String::strip).filter(s -> !s.isEmpty()).toList();

        for (String d : List.of("bin", "sbin", "usr/bin", "usr/sbin", "etc", "proc", "sys", "dev", "run",
                "var", "var/log", "home", "mnt")) {
            RootFs.mkdir(root, d, 0755);
        }
        RootFs.mkdir(root, "root", 0700);
        RootFs.mkdir(root, "tmp", 01777);
        RootFs.mkdir(root, "var/tmp", 01777);
        Path bin = RootFs.resolve(root, "bin/busybox");
        Files.copy(busybox, bin, StandardCopyOption.REPLACE_EXISTING);
        RootFs.chmod(bin, 0755);
        for (String a : applets) {
            // "--list-full" prints paths like "usr/bin/[" and "sbin/init"; skip anything else, and
            // "linuxrc" (top level, for initrds only).
            if (!a.contains("/") || a.startsWith("/") || a.contains("..") || a.equals("bin/busybox")) {
                continue;
            }
            RootFs.symlink(root, a, "/bin/busybox");
        }
        for (String tool : List.of("sh", "ip", "ping", "hostname", "df", "sleep", "cat", "ps", "kill")) {
            if (!RootFs.exists(root, "bin/" + tool) && !RootFs.exists(root, "sbin/" + tool)
                    && !RootFs.exists(root, "usr/bin/" + tool) && !RootFs.exists(root, "usr/sbin/" + tool)) {
                throw new CtException(busybox + " has no '" + tool + "' applet, which jvz containers need; "
                        + "install Debian's busybox-static");
            }
        }
        RootFs.write(root, "sbin/jvz-init", JvzInit.script(), 0755);
        // /sbin/init is the jvz init too, so a caller that starts /sbin/init gets the same contract;
        // busybox's own init stays available as 'busybox init' with the inittab below.
        RootFs.symlink(root, "sbin/init", "jvz-init");
        RootFs.write(root, "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n"
                + "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n", 0644);
        RootFs.write(root, "etc/group", "root:x:0:\nnogroup:x:65534:\n", 0644);
        RootFs.write(root, "etc/shadow", "root:*:19000:0:99999:7:::\nnobody:*:19000:0:99999:7:::\n", 0600);
        RootFs.write(root, "etc/hostname", "localhost\n", 0644);
        RootFs.write(root, "etc/hosts", "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n",
                0644);
        RootFs.write(root, "etc/resolv.conf", "# name servers: jvz ctl set ID --nameserver ADDRESS\n", 0644);
        RootFs.write(root, "etc/inittab", "# Not used by jvz, which boots /sbin/jvz-init (see /etc/jvz-template).\n"
                + "# For running busybox's own init by hand: 'exec busybox init'.\n"
                + "::sysinit:/bin/hostname -F /etc/hostname\n"
                + "::shutdown:/bin/sync\n", 0644);
        RootFs.write(root, "etc/profile", "export PATH=/usr/sbin:/usr/bin:/sbin:/bin\nexport PS1='\\h:\\w\\$ '\n",
                0644);
        RootFs.write(root, "etc/os-release", "NAME=BusyBox\nID=busybox\nVERSION_ID=" + os.substring(8) + "\n"
                + "PRETTY_NAME=\"" + os + " (jvz template " + name + ")\"\n", 0644);
        return os;
    }

    /** True when the ELF file has a PT_INTERP program header, i.e. needs a dynamic loader. */
    static boolean isDynamic(Path elf) throws IOException {
        try (FileChannel ch = FileChannel.open(elf, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(64);
            ch.read(h, 0);
            h.flip();
            if (h.remaining() < 64 || h.getInt(0) != 0x7f454c46 /* "\x7fELF" big-endian */ || h.get(4) != 2) {
                return false; // not ELF64: a script or a foreign binary; let busybox itself fail loudly
            }
            h.order(h.get(5) == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
            long phoff = h.getLong(0x20);
            int phentsize = Short.toUnsignedInt(h.getShort(0x36));
            int phnum = Short.toUnsignedInt(h.getShort(0x38));
            if (phentsize < 4 || phnum > MAX_PROGRAM_HEADERS) {
                return false;
            }
            ByteBuffer ph = ByteBuffer.allocate(4).order(h.order());
            for (int i = 0; i < phnum; i++) {
                ph.clear();
                ch.read(ph, phoff + (long) i * phentsize);
                if (ph.position() == 4 && ph.getInt(0) == PT_INTERP) {
                    return true;
                }
            }
            return false;
        }
    }
}
