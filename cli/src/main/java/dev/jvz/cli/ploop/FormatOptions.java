package dev.jvz.cli.ploop;

import dev.jvz.image.PloopFormat;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;
import picocli.CommandLine.TypeConversionException;

/**
 * Image format options shared by commands that create a delta ({@code init}, {@code import}):
 * ploop's {@code -b} (cluster size in sectors) and {@code -v} (format version). Invalid values are
 * usage errors (exit 2) that say what is allowed.
 *
 * <p>Filled by picocli on the calling thread, once per run; never shared.
 */
final class FormatOptions {
    @Option(names = {"-b", "--blocksize"}, paramLabel = "SECTORS", converter = ClusterSectors.class,
            defaultValue = "" + PloopFormat.DEFAULT_CLUSTER_SECTORS,
            description = "Cluster (block) size in 512-byte sectors: a power of two from 64 (32 KiB) "
                    + "to 131072 (64 MiB). Default: ${DEFAULT-VALUE} (1 MiB), as ploop.")
    int clusterSectors;

    @Option(names = {"-v", "--format-version"}, paramLabel = "1|2", converter = Version.class,
            defaultValue = "2",
            description = "Image format version: 2 (default; any size) or 1 (the old format, at most 2 TiB).")
    int version;

    static final class ClusterSectors implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            long n;
            try {
                n = Long.parseLong(value);
            } catch (NumberFormatException e) {
                throw new TypeConversionException("'" + value + "' is not a number of sectors");
            }
            if (!PloopFormat.isValidClusterSectors(n)) {
                throw new TypeConversionException(value + " sectors is not a valid cluster size: use a power of two "
                        + "from " + PloopFormat.MIN_CLUSTER_SECTORS + " to " + PloopFormat.MAX_CLUSTER_SECTORS);
            }
            return (int) n;
        }
    }

    static final class Version implements ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            return switch (value) {
                case "1" -> 1;
                case "2" -> 2;
                default -> throw new TypeConversionException("'" + value + "' is not a format version: use 1 or 2");
            };
        }
    }
}
