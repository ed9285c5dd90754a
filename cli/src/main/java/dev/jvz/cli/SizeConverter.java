package dev.jvz.cli;

import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/**
 * picocli converter for ploop-style sizes ({@link Sizes#parse}): {@code -s 10G}. The value is bytes.
 * A malformed size is a usage error (exit 2) naming the accepted forms.
 *
 * <p>Stateless and thread-safe.
 */
public final class SizeConverter implements ITypeConverter<Long> {
    @Override
    public Long convert(String value) {
        try {
            return Sizes.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
