package dev.jvz.ct;

import dev.jvz.node.Exec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Templates read straight from the cache, {@code TEMPLATE/cache/NAME.tar.gz}, as vzctl reads its OS
 * template caches: unpacked with tar, numeric owners kept. A stand-in until the template store
 * ({@code Templates}) is wired in, and the same on-disk contract.
 *
 * <p>Thread-safe: stateless apart from the immutable directory.
 */
final class CacheTemplates implements TemplateSource {
    /** A Debian template is a few hundred MB; a slow disk unpacks it in minutes, not hours. */
    private static final Duration UNPACK_TIMEOUT = Duration.ofMinutes(30);

    private final Path templateDir;

    CacheTemplates(Path templateDir) {
        this.templateDir = templateDir;
    }

    Path cache(String name) {
        return templateDir.resolve("cache").resolve(name + ".tar.gz");
    }

    @Override
    public void require(String name) throws CtException {
        if (name.isEmpty() || name.contains("/") || name.startsWith(".") || !Files.isRegularFile(cache(name))) {
            throw new CtException("OS template '" + name + "' is not installed (no " + cache(name)
                    + "); create it with 'jvz template create " + name + "' or list them with 'jvz template list'");
        }
    }

    @Override
    public void unpack(String name, Path rootDir) throws CtException {
        require(name);
        try {
            Exec.check(UNPACK_TIMEOUT, List.of("tar", "--numeric-owner", "-xpzf", cache(name).toString(), "-C",
                    rootDir.toString()));
        } catch (IOException e) {
            throw new CtException("cannot unpack OS template '" + name + "' into " + rootDir + ": " + e.getMessage(), e);
        }
    }
}
