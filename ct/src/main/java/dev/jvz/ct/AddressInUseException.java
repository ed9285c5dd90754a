package dev.jvz.ct;

import java.net.InetAddress;

/**
 * An address asked for a container is already routed elsewhere on this host: to another container,
 * to a non-jvz interface, or it is one of the host's own addresses. The message says where and how
 * to free it.
 */
public final class AddressInUseException extends CtException {
    private final transient InetAddress address;

    public AddressInUseException(InetAddress address, String message) {
        super(message);
        this.address = address;
    }

    public InetAddress address() {
        return address;
    }
}
