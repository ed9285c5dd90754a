package dev.jvz.ct;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One container's settings, as its {@code CTID.conf} holds them (vzctl's keys):
 *
 * <pre>
 * HOSTNAME="ct101.example"       IP_ADDRESS="10.0.0.101 10.0.0.102"   NAMESERVER="10.0.0.1"
 * RAM="512M"  SWAP="0"           CPUS="2"  CPULIMIT="150"             DISKSPACE="10G"
 * ONBOOT="yes"                   OSTEMPLATE="busybox"                 VE_ROOT=... VE_PRIVATE=...
 * </pre>
 *
 * <p>Memory is {@code RAM}/{@code SWAP} in bytes with K/M/G suffixes rather than vzctl 4's
 * {@code PHYSPAGES="0:131072"}: jvz enforces it through the memory cgroup, which takes bytes, and a
 * page count with a barrier:limit pair is a beancounter notion that no stock kernel has. A config
 * brought from OpenVZ with only PHYSPAGES/SWAPPAGES is still read (their limit, in 4 KiB pages).
 * {@code CPULIMIT} is a percentage of one CPU (100 = one CPU), {@code CPUS} the number of CPUs the
 * container may run on; empty means unlimited.
 *
 * @param ctid the container ID
 * @param hostname the host name, or empty
 * @param ipAddresses addresses routed to the container
 * @param nameservers written to the container's /etc/resolv.conf
 * @param ram memory limit in bytes
 * @param swap swap allowed on top of {@code ram}, bytes
 * @param cpus CPUs the container may use, 0 = all
 * @param cpulimit CPU time in percent of one CPU, 0 = unlimited
 * @param diskspace disk size in bytes
 * @param onboot start when the host boots
 * @param ostemplate the template it was created from
 * @param veRoot where its root file system is mounted
 * @param vePrivate its private area
 */
public record CtConfig(String ctid, String hostname, List<InetAddress> ipAddresses, List<String> nameservers,
        long ram, long swap, int cpus, int cpulimit, long diskspace, boolean onboot, String ostemplate, Path veRoot,
        Path vePrivate) {
    private static final Pattern CTID = Pattern.compile("[0-9A-Za-z][0-9A-Za-z_.-]{0,31}");
    private static final Pattern HOSTNAME = Pattern.compile("[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?");

    public CtConfig {
        ipAddresses = List.copyOf(ipAddresses);
        nameservers = List.copyOf(nameservers);
    }

    /** Refuses an ID that is not a safe file, cgroup and runc name. */
    public static String checkCtid(String ctid) throws ConfigException {
        if (ctid == null || !CTID.matcher(ctid).matches()) {
            throw new ConfigException("'" + ctid + "' is not a valid container ID: use 1 to 32 letters, digits, "
                    + "'.', '_' or '-', starting with a letter or digit (e.g. 101)");
        }
        return ctid;
    }

    /** Reads {@code ctid}'s CTID.conf; a missing file is a {@link CtNotFoundException}. */
    static CtConfig load(GlobalConfig g, String ctid) throws CtException {
        Path f = g.ctConf(ctid);
        try {
            return from(g, ctid, ShellConfig.read(f));
        } catch (NoSuchFileException e) {
            throw new CtNotFoundException("container " + ctid + " does not exist (no " + f + "); create it with "
                    + "'jvz ctl create " + ctid + " --ostemplate NAME'");
        } catch (IOException e) {
            throw new ConfigException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    /** The typed view of {@code c}, with the host's defaults for missing keys. */
    static CtConfig from(GlobalConfig g, String ctid, ShellConfig c) throws ConfigException {
        String where = " in " + c.file();
        String root = c.get("VE_ROOT");
        String priv = c.get("VE_PRIVATE");
        return new CtConfig(ctid,
                hostname(orEmpty(c.get("HOSTNAME")), "HOSTNAME" + where),
                addresses(orEmpty(c.get("IP_ADDRESS")), "IP_ADDRESS" + where),
                nameservers(orEmpty(c.get("NAMESERVER")), "NAMESERVER" + where),
                memory(c, "RAM", "PHYSPAGES", g.defaultRam(), where),
                memory(c, "SWAP", "SWAPPAGES", g.defaultSwap(), where),
                count(c.get("CPUS") == null ? g.defaultCpus() : c.get("CPUS"), "CPUS" + where, 4096),
                count(c.get("CPULIMIT") == null ? g.defaultCpulimit() : c.get("CPULIMIT"), "CPULIMIT" + where, 409_600),
                c.get("DISKSPACE") == null ? g.defaultDiskspace() : ByteSize.parse(c.get("DISKSPACE"), "DISKSPACE" + where),
                yesNo(c.get("ONBOOT"), "ONBOOT" + where),
                orEmpty(c.get("OSTEMPLATE")),
                root == null || root.isBlank() ? g.veRoot(ctid) : Path.of(GlobalConfig.expand(root, ctid)),
                priv == null || priv.isBlank() ? g.vePrivate(ctid) : Path.of(GlobalConfig.expand(priv, ctid)));
    }

    /** A 4 KiB page: the unit of vzctl 4's PHYSPAGES and SWAPPAGES. */
    static final long PAGE = 4096;

    /**
     * RAM or SWAP; a config carried over from OpenVZ may have only vzctl 4's PHYSPAGES/SWAPPAGES
     * ("barrier:limit" in 4 KiB pages, or with a K/M/G suffix in bytes), whose limit is used.
     */
    private static long memory(ShellConfig c, String key, String pagesKey, long def, String where)
            throws ConfigException {
        if (c.get(key) != null) {
            return ByteSize.parse(c.get(key), key + where);
        }
        String p = c.get(pagesKey);
        if (p == null || p.isBlank()) {
            return def;
        }
        String limit = p.contains(":") ? p.substring(p.indexOf(':') + 1).strip() : p.strip();
        if (limit.equals("unlimited") || limit.equals(Long.toString(Long.MAX_VALUE))) {
            return 0;
        }
        if (!limit.isEmpty() && Character.isDigit(limit.charAt(limit.length() - 1))) {
            try {
                long pages = Long.parseLong(limit);
                if (pages < 0 || pages > Long.MAX_VALUE / PAGE) {
                    throw new NumberFormatException();
                }
                return pages * PAGE;
            } catch (NumberFormatException e) {
                throw new ConfigException(pagesKey + where + ": '" + p + "' is not a page count; use " + key
                        + "=\"512M\" instead");
            }
        }
        return ByteSize.parse(limit, pagesKey + where);
    }

    private static String orEmpty(String s) {
        return s == null ? "" : s.strip();
    }

    static String hostname(String v, String what) throws ConfigException {
        if (!v.isEmpty() && !HOSTNAME.matcher(v).matches()) {
            throw new ConfigException(what + ": '" + v + "' is not a host name (letters, digits, '-' and '.')");
        }
        return v;
    }

    static List<InetAddress> addresses(String v, String what) throws ConfigException {
        List<InetAddress> out = new ArrayList<>();
        for (String s : v.split("\\s+")) {
            if (!s.isEmpty()) {
                out.add(address(s, what));
            }
        }
        return out;
    }

    /** One numeric address; vzctl's "IP/MASK" form keeps only the address (routes are per host). */
    static InetAddress address(String s, String what) throws ConfigException {
        String a = s.contains("/") ? s.substring(0, s.indexOf('/')) : s;
        try {
            return InetAddress.ofLiteral(a);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(what + ": '" + s + "' is not an IP address (e.g. 10.0.0.101 or fd00::101)");
        }
    }

    static List<String> nameservers(String v, String what) throws ConfigException {
        List<String> out = new ArrayList<>();
        for (String s : v.split("\\s+")) {
            if (!s.isEmpty()) {
                out.add(address(s, what).getHostAddress());
            }
        }
        return out;
    }

    static int count(String v, String what, int max) throws ConfigException {
        String s = v == null ? "" : v.strip();
        if (s.isEmpty() || s.equals("unlimited")) {
            return 0;
        }
        try {
            int n = Integer.parseInt(s);
            if (n < 0 || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(what + ": '" + v + "' must be a whole number from 0 to " + max
                    + " (0 or empty: unlimited)");
        }
    }

    static boolean yesNo(String v, String what) throws ConfigException {
        if (v == null || v.isBlank()) {
            return false;
        }
        return switch (v.strip().toLowerCase(java.util.Locale.ROOT)) {
            case "yes", "true", "1" -> true;
            case "no", "false", "0" -> false;
            default -> throw new ConfigException(what + ": '" + v + "' must be yes or no");
        };
    }

    /**
     * Parses a size as the config files hold it: 512M, 10G, 10G:11G (the hard value), bare bytes.
     *
     * @param what names the option or key in the error
     */
    public static long parseSize(String text, String what) throws ConfigException {
        return ByteSize.parse(text, what);
    }

    /** Parses a numeric IP address (vzctl's IP/MASK keeps only the address). */
    public static InetAddress parseAddress(String text, String what) throws ConfigException {
        return address(text, what);
    }

    /** IP_ADDRESS's value: the addresses separated by spaces. */
    static String joinAddresses(List<InetAddress> a) {
        return String.join(" ", a.stream().map(InetAddress::getHostAddress).toList());
    }
}
