package dev.jvz.node;

/** Operations on a disk while it is mounted (snapshot, merge, grow); filled in with the live stack support. */
final class LiveOps {
    private LiveOps() {}

    static Object handle(MountService mounts, NodeProtocol.Request req) throws NodeException {
        throw new NodeException(NodeException.Kind.INVALID, "unknown request '" + req.op() + "'");
    }
}
