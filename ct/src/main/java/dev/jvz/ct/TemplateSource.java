package dev.jvz.ct;

import java.nio.file.Path;
import java.util.List;

/**
 * What container creation and start need of the OS templates: whether one exists, unpacking it into a
 * root file system, and the command its init runs as. Backed by {@code Templates} in production; a
 * seam so the container logic does not depend on how templates are stored.
 *
 * <p>Implementations are thread-safe.
 */
interface TemplateSource {
    /** Throws {@link TemplateNotFoundException}-like {@link CtException} with a clear message when absent. */
    void require(String name) throws CtException;

    void unpack(String name, Path rootDir) throws CtException;

    /** The init command of containers made from {@code name}; /sbin/init when the template does not say. */
    default List<String> init(String name) {
        return List.of("/sbin/init");
    }

    /** The signal ({@code runc kill} name) that halts init cleanly; TERM when the template does not say. */
    default String stopSignal(String name) {
        return "TERM";
    }
}
