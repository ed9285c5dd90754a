package dev.jvz.cli.template;

import dev.jvz.cli.CliException;
import dev.jvz.cli.ExitCodes;
import dev.jvz.ct.CtException;
import dev.jvz.ct.TemplateInfo;
import dev.jvz.ct.TemplateNotFoundException;
import dev.jvz.ct.Templates;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code --template-dir}: where the templates live (TEMPLATE; caches in TEMPLATE/cache). The default
 * is $JVZ_TEMPLATE_DIR, else TEMPLATE from jvz.conf ($JVZ_CONF or /etc/jvz/jvz.conf; itself
 * /var/lib/jvz/template when unset), the directory 'jvz ctl create' reads.
 *
 * <p>Filled by picocli on the calling thread, once per run; never shared.
 */
public final class TemplateOptions {
    /** The default TEMPLATE, as vzctl's /vz/template, moved to jvz's state tree. */
    public static final Path DEFAULT_DIR = Path.of("/var/lib/jvz/template");

    @Option(names = "--template-dir", paramLabel = "DIR", description = "Template directory; caches are in "
            + "DIR/cache (default: $JVZ_TEMPLATE_DIR, else TEMPLATE in jvz.conf, else /var/lib/jvz/template).")
    Path templateDir;

    /** The templates of the chosen directory. */
    public Templates templates() throws CliException {
        if (templateDir != null) {
            return new Templates(templateDir);
        }
        String env = System.getenv("JVZ_TEMPLATE_DIR");
        if (env != null && !env.isBlank()) {
            return new Templates(Path.of(env));
        }
        try {
            return new Templates(dev.jvz.ct.GlobalConfig.load().templateDir());
        } catch (dev.jvz.ct.ConfigException e) {
            throw new CliException(ExitCodes.CT_CONFIG, e.getMessage(), e);
        }
    }

    /** One call on the templates that may fail with a container error. */
    @FunctionalInterface
    interface TemplateCall<T> {
        T apply(Templates templates) throws CtException;
    }

    /**
     * Runs {@code call} on the chosen directory's templates, turning a container error into the exit
     * code every 'jvz template' command reports it with ({@link #failure}).
     */
    <T> T call(TemplateCall<T> call) throws CliException {
        try {
            return call.apply(templates());
        } catch (CtException e) {
            throw failure(e);
        }
    }

    /** A container failure as the CLI reports it: no such template = 4 (like a missing file), else 1. */
    private static CliException failure(CtException e) {
        int code = e instanceof TemplateNotFoundException ? ExitCodes.OPEN : ExitCodes.FAILED;
        return new CliException(code, e.getMessage(), e);
    }

    /** The --json shape of one template (snake_case like every jvz JSON output). */
    record Json(String name, String cache, long sizeBytes, String created, String os, String init, String stopSignal) {
        static Json of(TemplateInfo t) {
            return new Json(t.name(), t.cache().toString(), t.sizeBytes(), t.created().toString(), t.os(), t.init(),
                    t.stopSignal());
        }
    }
}
