package dev.jvz.node;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * File-system tools on a block device: mkfs.ext4, mount/umount, fsfreeze, syncfs, resize2fs.
 *
 * <p>Thread-safe: stateless. Each call has a timeout; failures carry the tool's stderr.
 */
public final class Fs {
    private Fs() {}

    private static final Duration SHORT = Duration.ofSeconds(30);
    /** mkfs and resize on large images write many metadata blocks through NBD. */
    private static final Duration LONG = Duration.ofMinutes(10);

    /** Formats {@code device} as ext4, as ploop init does by default (lazy init keeps it quick). */
    public static void mkfsExt4(String device) throws IOException {
        Exec.check(LONG, List.of("mkfs.ext4", "-q", "-F", "-E", "lazy_itable_init=1,lazy_journal_init=1", device));
    }

    public static void mount(String device, Path dir, boolean readOnly) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("mount", "-t", "ext4"));
        if (readOnly) {
            cmd.addAll(List.of("-o", "ro,noload"));
        }
        cmd.add(device);
        cmd.add(dir.toString());
        Exec.check(SHORT, cmd);
    }

    /** Unmounts {@code dir}; with {@code lazy}, detaches it even while busy (cleanup of stale mounts). */
    public static void umount(Path dir, boolean lazy) throws IOException {
        Exec.check(SHORT, lazy ? List.of("umount", "-l", dir.toString()) : List.of("umount", dir.toString()));
    }

    /** FIFREEZE: flushes the file system and blocks new writes until {@link #thaw}. */
    public static void freeze(Path dir) throws IOException {
        Exec.check(SHORT, List.of("fsfreeze", "-f", dir.toString()));
    }

    public static void thaw(Path dir) throws IOException {
        Exec.check(SHORT, List.of("fsfreeze", "-u", dir.toString()));
    }

    /** syncfs(2) on the file system that holds {@code dir}. */
    public static void syncfs(Path dir) throws IOException {
        Exec.check(LONG, List.of("sync", "-f", dir.toString()));
    }

    /**
     * Grows an unmounted ext4 to fill its device when the device is larger (e2fsck -f first, as
     * resize2fs demands). Does nothing for a file system that already fills it, or that is not ext2/3/4.
     *
     * @return true when it resized
     */
    public static boolean growExt4ToDevice(String device) throws IOException {
        Exec.Result h = Exec.run(SHORT, List.of("dumpe2fs", "-h", device));
        if (h.exitCode() != 0) {
            return false; // not an ext file system (or none yet): nothing to grow
        }
        long blocks = -1;
        long blockSize = -1;
        for (String line : h.stdout().split("\n")) {
            if (line.startsWith("Block count:")) {
                blocks = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            } else if (line.startsWith("Block size:")) {
                blockSize = Long.parseLong(line.substring(line.indexOf(':') + 1).strip());
            }
        }
        long dev = Long.parseLong(Exec.check(SHORT, List.of("blockdev", "--getsize64", device)).stdout().strip());
        if (blocks < 0 || blockSize <= 0 || dev - blocks * blockSize < blockSize) {
            return false;
        }
        // e2fsck exits 1 when it fixed something, which is fine here; 4 and above mean trouble.
        Exec.Result f = Exec.run(LONG, List.of("e2fsck", "-f", "-p", device));
        if (f.exitCode() >= 4) {
            throw new ToolException("'e2fsck -f -p " + device + "' found errors it cannot fix (exit " + f.exitCode()
                    + "): " + f.stdout().strip() + " " + f.stderr().strip(), f.exitCode());
        }
        resize(device);
        return true;
    }

    /** Grows a mounted ext4 to fill its (already grown) device: online resize. */
    public static void resize(String device) throws IOException {
        Exec.check(LONG, List.of("resize2fs", device));
    }
}
