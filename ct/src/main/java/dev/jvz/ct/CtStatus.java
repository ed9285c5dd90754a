package dev.jvz.ct;

/**
 * What {@code jvz ctl status} reports, from the config file, the node's mounts and runc's state.
 *
 * @param ctid the container
 * @param exists its CTID.conf exists
 * @param mounted its root file system is mounted at VE_ROOT
 * @param state running, suspended or stopped
 * @param pid init's host PID while running or suspended, else 0
 */
public record CtStatus(String ctid, boolean exists, boolean mounted, State state, int pid) {
    /** The process state. */
    public enum State {
        RUNNING, SUSPENDED, STOPPED;

        /** As vzctl prints it. */
        public String word() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** vzctl's line: "CTID 101 exist mounted running". */
    public String line() {
        return "CTID " + ctid + " " + (exists ? "exist" : "deleted") + " " + (mounted ? "mounted" : "unmounted")
                + " " + state.word();
    }
}
