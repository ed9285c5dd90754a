package dev.jvz.cli.ploop;

import java.nio.file.Path;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * The check every snapshot command makes on its DISK argument before touching anything: ploop's
 * snapshot commands take only {@code DiskDescriptor.xml}, and so do these. Stateless.
 */
final class DiskParam {
    private DiskParam() {}

    /** {@code arg} if it names a descriptor (or its directory); a usage error (exit 2) otherwise. */
    static Path require(CommandSpec spec, Path arg) {
        if (!DiskArgs.isDescriptor(arg)) {
            throw new ParameterException(spec.commandLine(), "'" + arg + "' is not a DiskDescriptor.xml: this "
                    + "command works on a whole disk; name its DiskDescriptor.xml or the directory holding it");
        }
        return arg;
    }

    /** The help text of the DISK parameter. */
    static final String DESCRIPTION = "The disk: its DiskDescriptor.xml, or the directory holding it.";
}
