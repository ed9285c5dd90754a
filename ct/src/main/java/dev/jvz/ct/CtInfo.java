package dev.jvz.ct;

import java.util.List;

/**
 * One row of {@code jvz list}: a container's settings and its state.
 *
 * @param ctid the container ID
 * @param nproc processes in the container (0 when stopped)
 * @param status running, suspended or stopped
 * @param mounted its root file system is mounted
 * @param ip its addresses
 * @param hostname its host name
 * @param ostemplate the template it was made from
 * @param diskspace disk size, bytes
 * @param ram memory limit, bytes (0 = unlimited)
 * @param swap swap on top of ram, bytes
 * @param cpus CPUs (0 = all)
 * @param cpulimit percent of one CPU (0 = unlimited)
 * @param onboot started at boot
 */
public record CtInfo(String ctid, int nproc, String status, boolean mounted, List<String> ip, String hostname,
        String ostemplate, long diskspace, long ram, long swap, int cpus, int cpulimit, boolean onboot) {}
