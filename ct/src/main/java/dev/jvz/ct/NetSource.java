package dev.jvz.ct;

import java.net.InetAddress;
import java.nio.file.Path;
import java.util.List;

/**
 * A container's network as start, set and stop need it: a prepared network namespace that runc joins.
 * Backed by {@link CtNetwork} in production ({@link #routed}); {@link #NONE} gives each container a fresh namespace with
 * only loopback (runc makes it), for hosts or tests without routed networking.
 *
 * <p>Implementations are thread-safe.
 */
interface NetSource {
    /** Prepares the namespace with {@code addresses}; returns its path, or null to let runc make an empty one. */
    Path setUp(String ctid, List<InetAddress> addresses) throws CtException;

    void addAddress(String ctid, InetAddress ip) throws CtException;

    void removeAddress(String ctid, InetAddress ip) throws CtException;

    /** Removes the namespace and its host side; no-op when there is none. */
    void tearDown(String ctid) throws CtException;

    /** The routed, venet-like network of {@link CtNetwork}. */
    static NetSource routed(CtNetwork n) {
        return new NetSource() {
            @Override
            public Path setUp(String ctid, List<InetAddress> addresses) throws CtException {
                return n.setUp(ctid, addresses);
            }

            @Override
            public void addAddress(String ctid, InetAddress ip) throws CtException {
                n.addAddress(ctid, ip);
            }

            @Override
            public void removeAddress(String ctid, InetAddress ip) throws CtException {
                n.removeAddress(ctid, ip);
            }

            @Override
            public void tearDown(String ctid) throws CtException {
                n.tearDown(ctid);
            }
        };
    }

    /** No routed network: runc makes a new namespace; addresses cannot be applied live. */
    NetSource NONE = new NetSource() {
        @Override
        public Path setUp(String ctid, List<InetAddress> addresses) {
            return null;
        }

        @Override
        public void addAddress(String ctid, InetAddress ip) throws CtException {
            throw new CtException("this host runs containers without routed networking; cannot add " + ip);
        }

        @Override
        public void removeAddress(String ctid, InetAddress ip) {}

        @Override
        public void tearDown(String ctid) {}
    };
}
