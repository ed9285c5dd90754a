package dev.jvz.ct;

/**
 * A configuration file ({@code jvz.conf}, {@code CTID.conf}) is unreadable or holds an invalid value.
 * The message names the file, the line or key, and what is accepted.
 */
public class ConfigException extends CtException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
