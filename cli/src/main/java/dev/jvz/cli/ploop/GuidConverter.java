package dev.jvz.cli.ploop;

import dev.jvz.image.DiskDescriptor;
import java.util.Locale;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converter for {@code -u UUID}: a snapshot GUID as ploop prints it, in braces
 * ({@code {5fbaabe3-6958-40ff-92a7-860e329aab41}}), or the bare 36-character form (braces are awkward
 * in a shell), normalised to the braced lower-case form the descriptor uses. Anything else is a usage
 * error (exit 2). Stateless and thread-safe.
 */
final class GuidConverter implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
        String v = value.strip();
        if (v.length() == 36) {
            v = "{" + v + "}";
        }
        if (!DiskDescriptor.isValidGuid(v)) {
            throw new TypeConversionException("'" + value + "' is not a snapshot UUID: expected 36 hex digits and "
                    + "dashes, optionally in braces, like " + DiskDescriptor.TOP_GUID
                    + " (see 'jvz ploop snapshot-list')");
        }
        return v.toLowerCase(Locale.ROOT);
    }
}
