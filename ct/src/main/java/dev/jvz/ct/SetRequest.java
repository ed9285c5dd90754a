package dev.jvz.ct;

import java.net.InetAddress;
import java.util.List;

/**
 * What {@code jvz ctl set} changes; null (or empty list) fields stay as they are.
 *
 * @param hostname new host name
 * @param ipAdd addresses to add
 * @param ipDel addresses to remove
 * @param ipDelAll remove every address first (vzctl's --ipdel all)
 * @param nameservers new name servers (replace the old ones)
 * @param ram memory limit, bytes
 * @param swap swap on top of ram, bytes
 * @param cpus CPUs (0 = all)
 * @param cpulimit percent of one CPU (0 = unlimited)
 * @param diskspace new disk size, bytes (grow only)
 * @param onboot start at boot
 */
public record SetRequest(String hostname, List<InetAddress> ipAdd, List<InetAddress> ipDel, boolean ipDelAll,
        List<String> nameservers, Long ram, Long swap, Integer cpus, Integer cpulimit, Long diskspace,
        Boolean onboot) {
    public SetRequest {
        ipAdd = ipAdd == null ? List.of() : List.copyOf(ipAdd);
        ipDel = ipDel == null ? List.of() : List.copyOf(ipDel);
        nameservers = nameservers == null ? null : List.copyOf(nameservers);
    }

    /** Nothing changes. */
    public static SetRequest none() {
        return new SetRequest(null, null, null, false, null, null, null, null, null, null, null);
    }

    public SetRequest withHostname(String h) {
        return new SetRequest(h, ipAdd, ipDel, ipDelAll, nameservers, ram, swap, cpus, cpulimit, diskspace, onboot);
    }

    public SetRequest withRam(long r) {
        return new SetRequest(hostname, ipAdd, ipDel, ipDelAll, nameservers, r, swap, cpus, cpulimit, diskspace, onboot);
    }

    public SetRequest withDiskspace(long d) {
        return new SetRequest(hostname, ipAdd, ipDel, ipDelAll, nameservers, ram, swap, cpus, cpulimit, d, onboot);
    }

    public SetRequest withCpulimit(int c) {
        return new SetRequest(hostname, ipAdd, ipDel, ipDelAll, nameservers, ram, swap, cpus, c, diskspace, onboot);
    }

    public SetRequest withIpAdd(List<InetAddress> a) {
        return new SetRequest(hostname, a, ipDel, ipDelAll, nameservers, ram, swap, cpus, cpulimit, diskspace, onboot);
    }

    public boolean isEmpty() {
        return hostname == null && ipAdd.isEmpty() && ipDel.isEmpty() && !ipDelAll && nameservers == null
                && ram == null && swap == null && cpus == null && cpulimit == null && diskspace == null
                && onboot == null;
    }
}
