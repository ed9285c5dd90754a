package dev.jvz.ct;

/**
 * No template cache of the requested name. The message lists the templates that exist and how to
 * create one. Immutable.
 */
public class TemplateNotFoundException extends CtException {
    private final String name;

    public TemplateNotFoundException(String name, String message) {
        super(message);
        this.name = name;
    }

    /** The name that was asked for. */
    public String name() {
        return name;
    }
}
