package dev.jvz.ct;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.node.Exec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a cache keeps, through the real GNU tar, unpacked into a freshly made ext4 as 'jvz ctl
 * create' does (a loop-mounted image here): owners by number (also ones no host user has), the
 * set-uid and sticky bits, a character device, a hard link, symlinks, an extended attribute, a
 * sparse file that stays sparse, and the metadata as the first members.
 */
class TarIT {
    private static final Duration T = Duration.ofSeconds(60);

    @TempDir
    Path tmp;
    private Path mnt;

    @BeforeAll
    static void tools() {
        for (String t : List.of("tar", "mkfs.ext4", "mount", "umount", "mknod")) {
            CtFixture.requireTool(t);
        }
    }

    @AfterEach
    void unmount() throws Exception {
        if (mnt != null && !RootFs.mountsBelow(mnt).isEmpty()) {
            Exec.run(T, List.of("umount", mnt.toString()));
        }
    }

    @Test
    void packThenUnpackIntoFreshExt4KeepsEverything() throws Exception {
        Path root = Files.createDirectories(tmp.resolve("root"));
        RootFs.write(root, TemplateMeta.PATH, "OS=x\n", 0644);
        RootFs.mkdir(root, "tmp", 01777);
        RootFs.write(root, "usr/bin/su", "#!/bin/sh\n", 04755);
        RootFs.write(root, "home/u/f", "owned by 1234\n", 0640);
        Exec.check(T, List.of("chown", "-R", "1234:2345", root.resolve("home/u").toString()));
        Exec.check(T, List.of("mknod", "-m", "0666", root.resolve("null").toString(), "c", "1", "3"));
        Files.createLink(root.resolve("usr/bin/su-link"), root.resolve("usr/bin/su"));
        Files.createSymbolicLink(root.resolve("sh"), Path.of("/usr/bin/su"));
        Files.getFileAttributeView(root.resolve("home/u/f"), UserDefinedFileAttributeView.class)
                .write("jvz.test", ByteBuffer.wrap("kept".getBytes(StandardCharsets.UTF_8)));
        try (var ch = java.nio.channels.FileChannel.open(root.resolve("sparse"),
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[] {1}), 64L << 20); // 64 MiB hole, then one byte
        }

        Path cache = tmp.resolve("t.tar.gz");
        Tar.pack(root, cache, tmp.resolve("members"));
        List<String> first = Exec.check(T, List.of("tar", "-tzf", cache.toString())).stdout().lines().limit(3).toList();
        assertThat(first).containsExactly("./", "./etc/", "./etc/jvz-template");
        assertThat(Tar.readMeta(cache)).isEqualTo("OS=x\n");

        Path img = tmp.resolve("fs.img");
        Exec.check(T, List.of("truncate", "-s", "128M", img.toString()));
        Exec.check(T, List.of("mkfs.ext4", "-q", img.toString()));
        mnt = Files.createDirectories(tmp.resolve("mnt"));
        Exec.check(T, List.of("mount", "-o", "loop", img.toString(), mnt.toString()));
        Tar.unpack(cache, mnt);

        assertThat(mode(mnt.resolve("tmp"))).isEqualTo(01777);
        assertThat(mode(mnt.resolve("usr/bin/su"))).isEqualTo(04755);
        assertThat(Files.getAttribute(mnt.resolve("home/u/f"), "unix:uid")).isEqualTo(1234);
        assertThat(Files.getAttribute(mnt.resolve("home/u/f"), "unix:gid")).isEqualTo(2345);
        assertThat(Files.getAttribute(mnt.resolve("null"), "unix:rdev")).isEqualTo(Files.getAttribute(Path.of("/dev/null"),
                "unix:rdev"));
        assertThat(Files.getAttribute(mnt.resolve("usr/bin/su"), "unix:ino"))
                .isEqualTo(Files.getAttribute(mnt.resolve("usr/bin/su-link"), "unix:ino"));
        assertThat(Files.readSymbolicLink(mnt.resolve("sh"))).isEqualTo(Path.of("/usr/bin/su"));
        UserDefinedFileAttributeView x = Files.getFileAttributeView(mnt.resolve("home/u/f"),
                UserDefinedFileAttributeView.class);
        ByteBuffer b = ByteBuffer.allocate(16);
        x.read("jvz.test", b);
        assertThat(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8)).isEqualTo("kept");
        assertThat(Files.size(mnt.resolve("sparse"))).isEqualTo((64L << 20) + 1);
        long blocks = Long.parseLong(Exec.check(T, List.of("stat", "-c", "%b", mnt.resolve("sparse").toString()))
                .stdout().strip());
        assertThat(blocks * 512).as("allocated bytes of the sparse file").isLessThan(1 << 20);
    }

    @Test
    void aForeignCacheGetsTheDefaultsAndABrokenOneIsListedAsUnreadable() throws Exception {
        Path cache = Files.createDirectories(tmp.resolve("template/cache"));
        Path src = Files.createDirectories(tmp.resolve("src/etc"));
        Files.writeString(src.resolve("os-release"), "ID=centos\n");
        Exec.check(T, List.of("tar", "-czf", cache.resolve("centos-7.tar.gz").toString(), "-C",
                tmp.resolve("src").toString(), "."));
        Files.write(cache.resolve("broken.tar.gz"), new byte[] {0x1f, (byte) 0x8b, 8, 0, 0});
        Templates t = new Templates(tmp.resolve("template"));

        TemplateInfo centos = t.get("centos-7");
        assertThat(centos.os()).isEqualTo("unknown");
        assertThat(centos.init()).isEqualTo(TemplateInfo.DEFAULT_INIT);
        assertThat(centos.stopSignal()).isEqualTo("TERM");
        assertThat(t.list()).extracting(TemplateInfo::name, TemplateInfo::os)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("broken", Templates.UNREADABLE),
                        org.assertj.core.groups.Tuple.tuple("centos-7", "unknown"));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> t.get("broken"))
                .isInstanceOf(CtException.class).hasMessageContaining("cannot read template 'broken'");
    }

    private static int mode(Path p) throws Exception {
        return (int) Files.getAttribute(p, "unix:mode", LinkOption.NOFOLLOW_LINKS) & 07777;
    }
}
