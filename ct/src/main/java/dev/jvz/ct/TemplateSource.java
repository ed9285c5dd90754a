package dev.jvz.ct;

import java.nio.file.Path;

/**
 * What container creation needs of the OS templates: whether one exists and unpacking it into a root
 * file system (how the result boots is in the root itself, see {@link BootContract}). A seam so the
 * container logic does not depend on how templates are stored.
 *
 * <p>Implementations are thread-safe.
 */
interface TemplateSource {
    /** Throws a {@link CtException} naming the template and what to do when it is not installed. */
    void require(String name) throws CtException;

    void unpack(String name, Path rootDir) throws CtException;

    /** The template store: TEMPLATE/cache/NAME.tar.gz ({@link TemplateNotFoundException} when absent). */
    static TemplateSource of(Templates t) {
        return new TemplateSource() {
            @Override
            public void require(String name) throws CtException {
                t.get(name);
            }

            @Override
            public void unpack(String name, Path rootDir) throws CtException {
                t.unpack(name, rootDir);
            }
        };
    }
}
