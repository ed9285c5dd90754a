package dev.jvz.ct;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything jvz asks of runc, in one small interface so the container logic can be tested against a
 * fake and the real binary is driven in one place ({@link RuncCli}). Every call is bounded by a timeout
 * and fails with a {@link RuncException} carrying runc's stderr.
 *
 * <p>Implementations are thread-safe.
 */
interface Runc {
    /** Creates and starts {@code id} from {@code bundle}, detached; init's stdout and stderr go to {@code log}. */
    void run(String id, Path bundle, Path log) throws RuncException;

    /** The container's state, or empty when runc does not know it. */
    Optional<RuncState> state(String id) throws RuncException;

    /** Every container under this runc root. */
    List<RuncState> list() throws RuncException;

    /** Sends {@code signal} (e.g. "TERM", "KILL") to init, or with {@code all} to every process. */
    void kill(String id, String signal, boolean all) throws RuncException;

    /** Deletes a stopped container's state and cgroups; {@code force} kills a running one first. */
    void delete(String id, boolean force) throws RuncException;

    /** Freezes every process (cgroup freezer). */
    void pause(String id) throws RuncException;

    void resume(String id) throws RuncException;

    /**
     * Changes resource limits of a running container. Null fields stay as they are.
     *
     * @param memory memory limit, bytes
     * @param memorySwap memory + swap limit, bytes
     * @param cpuQuota CFS quota per period, microseconds (-1 = unlimited)
     * @param cpuPeriod CFS period, microseconds
     * @param cpusetCpus CPUs to run on, e.g. "0-1"
     */
    record Resources(Long memory, Long memorySwap, Long cpuQuota, Long cpuPeriod, String cpusetCpus) {}

    void update(String id, Resources r) throws RuncException;

    /** The host PIDs of every process in the container. */
    List<Integer> ps(String id) throws RuncException;

    /** What a command run in the container printed, and its exit code. */
    record ExecResult(int exitCode, String stdout, String stderr) {}

    /** Runs {@code cmd} in the container with {@code stdin} as input; null timeout = wait as long as it runs. */
    ExecResult exec(String id, List<String> cmd, byte[] stdin, Duration timeout) throws RuncException;

    /** Runs {@code cmd} with this process's stdin/stdout/stderr (and a terminal with {@code tty}); its exit code. */
    int execInteractive(String id, List<String> cmd, boolean tty) throws RuncException;
}
