package dev.jvz.ct;

import com.fasterxml.jackson.databind.JsonNode;
import dev.jvz.node.Exec;
import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A container's network, routed like OpenVZ's venet.
 *
 * <p>Per container: a named network namespace ({@code ip netns add}, a bind mount at
 * {@code /run/netns/PREFIX+CTID} that runc joins through the OCI config
 * {@code {"type":"network","path":...}}) and a veth pair. The host end ({@code ve101}, see
 * {@link NetNames}) stays in the host namespace; the other end, inside, is called {@code venet0}.
 * Inside: {@code lo} up, each container address on {@code venet0} as a /32 (IPv4) or /128 (IPv6),
 * and a default route via the fixed link-local gateway 169.254.0.1 ({@code onlink}) and fe80::1, so
 * the container needs no subnet, netmask or broadcast address. On the host: the gateway addresses on
 * the host veth (so the host answers the container's ARP/ND for them), one /32 or /128 route per
 * container address pointing at that veth, and forwarding on.
 *
 * <p>Why routed and not a {@code jvz0} bridge: exactly venet's properties. Containers share no L2
 * segment, so one container cannot ARP-spoof, MAC-flood or sniff another; an address reaches a
 * container only because the host routes it there (a container that adds a foreign address to its
 * venet0 gets nothing, and strict reverse-path filtering on the host veth drops what it sends from
 * that address); the host decides, per /32, who owns which address, and refuses duplicates; and
 * migrating a container only moves its /32 routes to the new host instead of re-plumbing a bridge
 * and a subnet. Why the name {@code venet0} and not {@code eth0}: it tells users and distribution
 * scripts what OpenVZ users know it as, a point-to-point routed device where DHCP is pointless
 * (many images run a DHCP client on eth0 by default).
 *
 * <p>Ownership: jvz touches only namespaces named {@code PREFIX+CTID} and host links whose alias is
 * {@code jvz:PREFIX+CTID}; a link with the right name but another alias is refused, never removed.
 * The host end is created inside the new namespace, given its alias there, and only then moved
 * out under its final name, so no crash leaves an unmarked jvz link in the host namespace.
 *
 * <p>Host sysctls changed: {@code net.ipv4.ip_forward=1} on every {@link #setUp};
 * {@code net.ipv6.conf.all.forwarding=1} only when an IPv6 address is given to a container (on a
 * host that configures itself by SLAAC this makes it ignore router advertisements, so it is not done
 * for IPv4-only hosts). Per host veth: {@code rp_filter=1} (IPv4 anti-spoofing), IPv6
 * {@code accept_ra=0} and {@code accept_redirects=0} (a container must not be able to reconfigure
 * the host's routing).
 *
 * <p>Thread-safety: instances are immutable and every method may be called concurrently for
 * different CTIDs. Calls for the same CTID must be serialized by the caller (the container's lock).
 * Two containers asking for the same address at once are arbitrated by the kernel: the host route is
 * added with {@code ip route add}, which fails with EEXIST for the loser, who then gets the
 * {@link AddressInUseException}.
 */
public final class CtNetwork {
    /** The prefix the jvz CLI uses; tests use their own so they never touch real containers. */
    public static final String DEFAULT_PREFIX = NetNames.DEFAULT_PREFIX;
    /** The device name inside the container. */
    public static final String CONTAINER_IF = "venet0";
    /** The containers' IPv4 gateway: link-local, so it collides with no site's addressing. */
    public static final InetAddress GATEWAY4 = InetAddress.ofLiteral("169.254.0.1");
    /** The containers' IPv6 gateway; fe80::/64 exists on every link, and ::1 reads as "the router". */
    public static final InetAddress GATEWAY6 = InetAddress.ofLiteral("fe80::1");

    static final Path NETNS_DIR = Path.of("/run/netns");
    static final Path SYSCTL_NET = Path.of("/proc/sys/net");
    /** Name of the host end while it is still inside the fresh namespace (which holds nothing else). */
    static final String TMP_HOST_IF = "jvzhost0";

    private final String prefix;
    private final IpTool ip;

    /**
     * @param netnsPrefix e.g. {@code "jvz-"} ({@link #DEFAULT_PREFIX}); 1 to 16 lower-case letters or
     *     digits and one trailing '-', so that prefixes never overlap (see {@link NetNames})
     */
    public CtNetwork(String netnsPrefix) {
        this(netnsPrefix, IpTool.fromPath());
    }

    CtNetwork(String netnsPrefix, IpTool ip) {
        this.prefix = NetNames.checkPrefix(netnsPrefix);
        this.ip = ip;
    }

    public String prefix() {
        return prefix;
    }

    /**
     * The network namespace path for runc's config; it exists only between setUp and tearDown.
     *
     * @throws IllegalArgumentException for an invalid CTID (it would name a path elsewhere)
     */
    public Path netnsPath(String ctid) {
        if (ctid == null || !NetNames.CTID.matcher(ctid).matches()) {
            throw new IllegalArgumentException("ctid: '" + ctid + "' (expected: " + NetNames.CTID + ")");
        }
        return NETNS_DIR.resolve(NetNames.netns(prefix, ctid));
    }

    /** The host end of the container's veth pair (deterministic, at most 15 characters). */
    public String hostInterface(String ctid) throws CtException {
        return NetNames.hostIf(prefix, NetNames.checkCtid(ctid));
    }

    /** True while the container's network namespace exists. */
    public boolean exists(String ctid) {
        return ctid != null && NetNames.CTID.matcher(ctid).matches() && Files.exists(netnsPath(ctid));
    }

    /**
     * The CTIDs that have a namespace or a host link of this prefix, sorted: what a restarted jvz
     * compares with its running containers before tearing down the rest.
     */
    public List<String> containers() throws CtException {
        java.util.TreeSet<String> out = new java.util.TreeSet<>();
        for (JsonNode l : ip.json("link", "show")) {
            NetNames.ownerOfAlias(l.path("ifalias").asText(null)).filter(o -> o.prefix().equals(prefix))
                    .ifPresent(o -> out.add(o.ctid()));
        }
        for (String ns : namespaces()) {
            NetNames.ownerOfNetns(ns).filter(o -> o.prefix().equals(prefix)).ifPresent(o -> out.add(o.ctid()));
        }
        return List.copyOf(out);
    }

    /**
     * Creates the namespace, the veth pair, the gateway and routes, and adds {@code addresses}.
     * Leftovers of this container (a killed earlier run) are removed first, so this is idempotent;
     * call it only while the container is not running (a running container keeps the old namespace).
     * All addresses are checked before anything is touched; on failure nothing is left behind.
     *
     * @return the netns path to put into the OCI config
     * @throws AddressInUseException if an address is routed to another container or interface, or
     *     is one of the host's own
     */
    public Path setUp(String ctid, List<InetAddress> addresses) throws CtException {
        NetNames.checkCtid(ctid);
        LinkedHashSet<InetAddress> addrs = new LinkedHashSet<>();
        for (InetAddress a : addresses) {
            addrs.add(checkAddress(a));
        }
        for (InetAddress a : addrs) {
            routedToUs(ctid, a); // throws if it is anyone else's
        }
        tearDown(ctid);
        String ns = NetNames.netns(prefix, ctid);
        String host = NetNames.hostIf(prefix, ctid);
        Optional<JsonNode> squatter = link(host);
        if (squatter.isPresent()) {
            throw new CtException("network interface " + host + " exists but is not container " + ctid + "'s (alias '"
                    + squatter.get().path("ifalias").asText("") + "', expected '" + NetNames.alias(prefix, ctid)
                    + "'); jvz does not touch it: remove or rename it ('ip link set " + host + " name OTHER')");
        }
        setSysctl(SYSCTL_NET.resolve("ipv4/ip_forward"), "1", "so that the host routes between containers");
        try {
            ip.check("netns", "add", ns);
            ip.check("-n", ns, "link", "add", TMP_HOST_IF, "type", "veth", "peer", "name", CONTAINER_IF);
            ip.check("-n", ns, "link", "set", TMP_HOST_IF, "alias", NetNames.alias(prefix, ctid));
            ip.check("-n", ns, "link", "set", TMP_HOST_IF, "netns", Long.toString(ProcessHandle.current().pid()),
                    "name", host);
            setSysctl(SYSCTL_NET.resolve("ipv4/conf").resolve(host).resolve("rp_filter"), "1",
                    "so that a container cannot send from an address that is not routed to it");
            boolean v6 = ipv6On(host);
            if (v6) {
                setSysctl(SYSCTL_NET.resolve("ipv6/conf").resolve(host).resolve("accept_ra"), "0",
                        "so that a container cannot reconfigure the host's routes");
                setSysctl(SYSCTL_NET.resolve("ipv6/conf").resolve(host).resolve("accept_redirects"), "0",
                        "so that a container cannot reconfigure the host's routes");
            }
            ip.check("link", "set", host, "up");
            ip.check("addr", "add", text(GATEWAY4) + "/32", "dev", host);
            if (v6) {
                ip.check("addr", "add", text(GATEWAY6) + "/64", "dev", host, "nodad");
            }
            ip.check("-n", ns, "link", "set", "lo", "up");
            ip.check("-n", ns, "link", "set", CONTAINER_IF, "up");
            defaultRoute(ns, GATEWAY4);
            if (v6) {
                defaultRoute(ns, GATEWAY6);
            }
            for (InetAddress a : addrs) {
                addRouted(ctid, a);
            }
        } catch (CtException e) {
            try {
                tearDown(ctid);
            } catch (CtException undo) {
                e.addSuppressed(undo);
            }
            throw e;
        }
        return netnsPath(ctid);
    }

    /**
     * Adds {@code address} to the set-up network of a (running) container, live; a no-op if it is
     * already this container's.
     */
    public void addAddress(String ctid, InetAddress address) throws CtException {
        NetNames.checkCtid(ctid);
        checkAddress(address);
        requireSetUp(ctid);
        if (routedToUs(ctid, address)) {
            addInside(NetNames.netns(prefix, ctid), address);
            return;
        }
        addRouted(ctid, address);
    }

    /**
     * Removes {@code address} from the container, live: first the host route (from then on nothing
     * reaches it), then the address inside. A no-op for an address the container does not have or a
     * container whose network is not set up.
     */
    public void removeAddress(String ctid, InetAddress address) throws CtException {
        NetNames.checkCtid(ctid);
        checkAddress(address);
        String host = NetNames.hostIf(prefix, ctid);
        if (ours(ctid)) {
            for (JsonNode r : ip.json(family(address), "route", "show", "exact", cidr(address))) {
                if (host.equals(r.path("dev").asText())) {
                    ip.check(family(address), "route", "del", cidr(address), "dev", host);
                }
            }
        }
        if (exists(ctid)) {
            String ns = NetNames.netns(prefix, ctid);
            if (insideAddresses(ns).contains(address)) {
                ip.check("-n", ns, "addr", "del", cidr(address), "dev", CONTAINER_IF);
            }
        }
    }

    /**
     * The addresses routed to the container now (the host routes, which are what makes an address
     * reach it), IPv4 first; empty when the network is not set up.
     */
    public List<InetAddress> addresses(String ctid) throws CtException {
        NetNames.checkCtid(ctid);
        if (!ours(ctid)) {
            return List.of();
        }
        String host = NetNames.hostIf(prefix, ctid);
        List<InetAddress> out = new ArrayList<>();
        for (String fam : List.of("-4", "-6")) {
            for (JsonNode r : ip.json(fam, "route", "show", "dev", host)) {
                String dst = r.path("dst").asText("");
                if ("kernel".equals(r.path("protocol").asText()) || dst.equals("default")) {
                    continue;
                }
                int slash = dst.indexOf('/');
                String len = slash < 0 ? "" : dst.substring(slash + 1);
                if (slash < 0 || len.equals("32") || len.equals("128")) {
                    out.add(InetAddress.ofLiteral(slash < 0 ? dst : dst.substring(0, slash)));
                }
            }
        }
        return List.copyOf(out);
    }

    /**
     * Removes the host veth (with it the peer and every route through it) and the namespace.
     * Idempotent: whatever is already gone is skipped; a link with the right name that is not this
     * container's is left alone.
     */
    public void tearDown(String ctid) throws CtException {
        NetNames.checkCtid(ctid);
        String host = NetNames.hostIf(prefix, ctid);
        if (ours(ctid)) {
            Exec.Result r = ip.run("link", "del", host);
            if (r.exitCode() != 0 && ours(ctid)) {
                throw new CtException("cannot remove network interface " + host + " of container " + ctid + ": "
                        + r.stderr().strip() + "; remove it with 'ip link del " + host + "'");
            }
        }
        deleteNetns(NetNames.netns(prefix, ctid));
    }

    /**
     * Removes every host link and namespace of this prefix: test cleanup, and jvz's start-up hygiene
     * after a crash (call it only when no container of this prefix runs). Tries everything, then
     * reports what could not be removed.
     */
    public void cleanupAll() throws CtException {
        List<CtException> failures = new ArrayList<>();
        for (JsonNode l : ip.json("link", "show")) {
            String name = l.path("ifname").asText();
            Optional<NetNames.Owner> o = NetNames.ownerOfAlias(l.path("ifalias").asText(null));
            if (o.isPresent() && o.get().prefix().equals(prefix)) {
                Exec.Result r = ip.run("link", "del", name);
                if (r.exitCode() != 0 && link(name).isPresent()) {
                    failures.add(new CtException("cannot remove network interface " + name + ": " + r.stderr().strip()));
                }
            }
        }
        for (String ns : namespaces()) {
            Optional<NetNames.Owner> o = NetNames.ownerOfNetns(ns);
            if (o.isPresent() && o.get().prefix().equals(prefix)) {
                try {
                    deleteNetns(ns);
                } catch (CtException e) {
                    failures.add(e);
                }
            }
        }
        if (!failures.isEmpty()) {
            CtException e = new CtException("could not remove all jvz networks with prefix " + prefix + ": "
                    + failures.getFirst().getMessage() + (failures.size() > 1 ? " (and " + (failures.size() - 1)
                    + " more)" : ""), failures.getFirst());
            failures.stream().skip(1).forEach(e::addSuppressed);
            throw e;
        }
    }

    // ---- internals ----

    /** Adds the address inside, then the host route; the route add is the atomic ownership claim. */
    private void addRouted(String ctid, InetAddress a) throws CtException {
        String ns = NetNames.netns(prefix, ctid);
        String host = NetNames.hostIf(prefix, ctid);
        if (a instanceof Inet6Address) {
            if (!ipv6On(host)) {
                throw new CtException("cannot give container " + ctid + " the IPv6 address " + text(a)
                        + ": IPv6 is off on this host (net.ipv6.conf." + host + ".disable_ipv6 is not 0, or no IPv6 "
                        + "in the kernel); enable IPv6 on the host and restart the container, or use an IPv4 address");
            }
            setSysctl(SYSCTL_NET.resolve("ipv6/conf/all/forwarding"), "1",
                    "so that the host routes IPv6 between containers");
        }
        addInside(ns, a);
        Exec.Result r = ip.run(family(a), "route", "add", cidr(a), "dev", host);
        if (r.exitCode() != 0) {
            boolean usRoute;
            try {
                usRoute = routedToUs(ctid, a);
            } catch (CtException lost) {
                ip.run("-n", ns, "addr", "del", cidr(a), "dev", CONTAINER_IF);
                throw lost;
            }
            if (!usRoute) {
                ip.run("-n", ns, "addr", "del", cidr(a), "dev", CONTAINER_IF);
                throw new CtException("cannot route " + text(a) + " to container " + ctid + ": " + r.stderr().strip());
            }
        }
    }

    /** Puts {@code a} on venet0 (idempotent); IPv6 without duplicate detection: the host route is the claim. */
    private void addInside(String ns, InetAddress a) throws CtException {
        if (a instanceof Inet6Address) {
            ip.check("-n", ns, "addr", "replace", cidr(a), "dev", CONTAINER_IF, "nodad");
            defaultRoute(ns, GATEWAY6);
        } else {
            ip.check("-n", ns, "addr", "replace", cidr(a), "dev", CONTAINER_IF);
            // Removing a device's last IPv4 address flushes every IPv4 route through it (the kernel's
            // fib_inetaddr_event disables IP on the device), so --ipdel of the last address followed
            // by --ipadd would leave the container without its default route: put it back each time.
            defaultRoute(ns, GATEWAY4);
        }
    }

    /** Inside: the default route via the link-local gateway, idempotently ("replace"). */
    private void defaultRoute(String ns, InetAddress gateway) throws CtException {
        if (gateway instanceof Inet4Address) {
            // onlink: 169.254.0.1 is in no subnet of venet0 (the container has /32s only).
            ip.check("-n", ns, "-4", "route", "replace", "default", "via", text(gateway), "dev", CONTAINER_IF, "onlink");
        } else {
            ip.check("-n", ns, "-6", "route", "replace", "default", "via", text(gateway), "dev", CONTAINER_IF);
        }
    }

    /**
     * True if {@code a} is routed to this container's veth, false if it is routed nowhere; throws
     * {@link AddressInUseException} naming the owner if it is routed anywhere else.
     */
    private boolean routedToUs(String ctid, InetAddress a) throws CtException {
        JsonNode local = ip.json(family(a), "route", "show", "table", "local", "exact", cidr(a));
        if (!local.isEmpty()) {
            throw new AddressInUseException(a, "address " + text(a) + " is an address of this host itself (on "
                    + local.get(0).path("dev").asText("?") + "); a container cannot use it; choose another address");
        }
        String host = NetNames.hostIf(prefix, ctid);
        for (JsonNode r : ip.json(family(a), "route", "show", "exact", cidr(a))) {
            String dev = r.path("dev").asText("");
            Optional<JsonNode> l = dev.isEmpty() ? Optional.empty() : link(dev);
            Optional<NetNames.Owner> o = l.flatMap(n -> NetNames.ownerOfAlias(n.path("ifalias").asText(null)));
            if (o.isPresent() && o.get().equals(new NetNames.Owner(prefix, ctid)) && dev.equals(host)) {
                return true;
            }
            if (o.isPresent()) {
                String other = o.get().ctid();
                throw new AddressInUseException(a, "address " + text(a) + " is already used by container " + other
                        + (o.get().prefix().equals(prefix) ? "" : " (network namespace " + o.get().prefix() + other + ")")
                        + "; remove it there with 'jvz ctl set " + other + " --ipdel " + text(a) + "'");
            }
            throw new AddressInUseException(a, "address " + text(a) + " is already routed on this host"
                    + (dev.isEmpty() ? " (" + r + ")" : " to " + dev) + ", which is not a jvz container; remove that "
                    + "route ('ip route del " + cidr(a) + "') or choose another address");
        }
        return false;
    }

    private void requireSetUp(String ctid) throws CtException {
        if (!exists(ctid) || !ours(ctid)) {
            throw new CtException("the network of container " + ctid + " is not set up (is it running?); "
                    + "start it with 'jvz ctl start " + ctid + "' or change its configuration only");
        }
    }

    /** True if the host link of this container exists and carries this container's alias. */
    private boolean ours(String ctid) throws CtException {
        return link(NetNames.hostIf(prefix, ctid))
                .map(l -> NetNames.alias(prefix, ctid).equals(l.path("ifalias").asText(null)))
                .orElse(false);
    }

    /** The host link called {@code name}, from one {@code ip -j link show} (absent is not an error). */
    private Optional<JsonNode> link(String name) throws CtException {
        for (JsonNode l : ip.json("link", "show")) {
            if (name.equals(l.path("ifname").asText())) {
                return Optional.of(l);
            }
        }
        return Optional.empty();
    }

    private List<InetAddress> insideAddresses(String ns) throws CtException {
        List<InetAddress> out = new ArrayList<>();
        for (JsonNode dev : ip.json("-n", ns, "addr", "show", "dev", CONTAINER_IF)) {
            for (JsonNode ai : dev.path("addr_info")) {
                String local = ai.path("local").asText("");
                if (!local.isEmpty()) {
                    out.add(InetAddress.ofLiteral(local));
                }
            }
        }
        return out;
    }

    /** Names in /run/netns (where ip netns add puts them). */
    private static List<String> namespaces() throws CtException {
        try (Stream<Path> s = Files.list(NETNS_DIR)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (NoSuchFileException e) {
            return List.of();
        } catch (IOException e) {
            throw new CtException("cannot list " + NETNS_DIR + ": " + e.getMessage(), e);
        }
    }

    private void deleteNetns(String ns) throws CtException {
        Path p = NETNS_DIR.resolve(ns);
        if (!Files.exists(p)) {
            return;
        }
        Exec.Result r = ip.run("netns", "delete", ns);
        if (r.exitCode() != 0 && Files.exists(p)) {
            throw new CtException("cannot remove network namespace " + ns + ": " + r.stderr().strip()
                    + "; remove it with 'ip netns delete " + ns + "'");
        }
    }

    private static boolean ipv6On(String hostIf) {
        Path p = SYSCTL_NET.resolve("ipv6/conf").resolve(hostIf).resolve("disable_ipv6");
        try {
            return Files.readString(p).strip().equals("0");
        } catch (IOException e) {
            return false; // no IPv6 in this kernel: IPv4 only
        }
    }

    private static void setSysctl(Path p, String value, String why) throws CtException {
        String name = SYSCTL_NET.getParent().relativize(p).toString().replace('/', '.');
        try {
            if (!Files.readString(p).strip().equals(value)) {
                Files.writeString(p, value);
            }
        } catch (IOException e) {
            throw new CtException("cannot set " + name + "=" + value + " (" + why + "): " + e.getMessage()
                    + "; jvz must run as root in the host's network namespace", e);
        }
    }

    /** Refuses what can never be a container's own address; returns {@code a}. */
    static InetAddress checkAddress(InetAddress a) throws CtException {
        if (a == null) {
            throw new CtException("missing container address; give one such as 10.0.0.5");
        }
        String why = a.isAnyLocalAddress() ? "the wildcard address"
                : a.isLoopbackAddress() ? "a loopback address"
                : a.isMulticastAddress() ? "a multicast address"
                : a.isLinkLocalAddress() ? "link-local (169.254.0.1 and fe80::1 are the containers' gateway)"
                : a instanceof Inet4Address && text(a).equals("255.255.255.255") ? "the broadcast address"
                : null;
        if (why != null) {
            throw new CtException("address " + text(a) + " cannot be a container address: it is " + why
                    + "; use a unicast address such as 10.0.0.5 or fd00::5");
        }
        return a;
    }

    static String cidr(InetAddress a) {
        return text(a) + (a instanceof Inet4Address ? "/32" : "/128");
    }

    private static String family(InetAddress a) {
        return a instanceof Inet4Address ? "-4" : "-6";
    }

    /** The usual text form: dotted quad, or IPv6 with the longest run of zero groups as "::" (RFC 5952). */
    static String text(InetAddress a) {
        if (a instanceof Inet4Address) {
            return a.getHostAddress();
        }
        byte[] b = a.getAddress();
        int[] g = new int[8];
        for (int i = 0; i < 8; i++) {
            g[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLen = 1; // RFC 5952 4.2.2: a single zero group is not shortened
        for (int i = 0; i < 8; ) {
            int j = i;
            while (j < 8 && g[j] == 0) {
                j++;
            }
            if (j - i > bestLen) {
                bestStart = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                s.append("::");
                i += bestLen - 1;
                continue;
            }
            if (!s.isEmpty() && s.charAt(s.length() - 1) != ':') {
                s.append(':');
            }
            s.append(Integer.toHexString(g[i]));
        }
        return s.toString();
    }
}
