package dev.jvz.ct;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The host-wide settings ({@code /etc/jvz/jvz.conf}, as OpenVZ's {@code /etc/vz/vz.conf}): where
 * containers live and the defaults for new ones. A missing file means the built-in defaults, so a
 * fresh host needs no configuration. {@code $VEID} (or {@code $CTID}) in VE_ROOT and VE_PRIVATE is
 * replaced by the container's ID, as vzctl does.
 *
 * <pre>
 * VE_ROOT="/var/lib/jvz/root/$VEID"       mount point of a container's root file system
 * VE_PRIVATE="/var/lib/jvz/private/$VEID" private area: root.hdd/, bundle/, console.log
 * TEMPLATE="/var/lib/jvz/template"        OS templates (cache/NAME.tar.gz)
 * CONF_DIR="/etc/jvz/conf"                CTID.conf files
 * RUNC_ROOT="/run/jvz/runc"               runc --root: jvz's containers apart from other runc users
 * LOCK_DIR="/run/jvz/lock"                per-container lock files
 * NETNS_PREFIX="jvz-"                     network namespaces are /run/netns/PREFIX+CTID
 * NODE_DIR="/var/lib/jvz/node"            the jvz node that mounts the disks
 * CGROUP_PARENT="jvz"                     cgroups are /sys/fs/cgroup/CONTROLLER/PARENT/CTID
 * RUNC="runc"                             the runc binary
 * DEF_OSTEMPLATE="busybox"  DISKSPACE="2G"  DEF_RAM="512M"  DEF_SWAP="0"  DEF_CPUS=""  DEF_CPULIMIT=""
 * STOP_TIMEOUT="30"                       seconds init gets after SIGTERM before SIGKILL
 * RUNC_TIMEOUT="60"                       seconds any one runc call may take
 * </pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class GlobalConfig {
    /** The default location. */
    public static final Path DEFAULT_FILE = Path.of("/etc/jvz/jvz.conf");
    /** Environment variable naming another file (tests, a second installation). */
    public static final String ENV = "JVZ_CONF";

    private static final Pattern VEID = Pattern.compile("\\$\\{?(VEID|CTID)\\}?");

    private final Path file;
    private final Map<String, String> values;

    private GlobalConfig(Path file, Map<String, String> values) {
        this.file = file;
        this.values = Map.copyOf(values);
    }

    /** Loads $JVZ_CONF, else {@link #DEFAULT_FILE}; a missing file gives the defaults. */
    public static GlobalConfig load() throws ConfigException {
        String env = System.getenv(ENV);
        return load(env != null && !env.isBlank() ? Path.of(env) : DEFAULT_FILE);
    }

    /** Loads {@code file}; a missing file gives the defaults. */
    public static GlobalConfig load(Path file) throws ConfigException {
        try {
            GlobalConfig g = new GlobalConfig(file, ShellConfig.read(file).asMap());
            g.validate();
            return g;
        } catch (NoSuchFileException e) {
            return new GlobalConfig(file, Map.of());
        } catch (IOException e) {
            throw new ConfigException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /** A configuration from explicit values (tests). */
    static GlobalConfig of(Path file, Map<String, String> values) throws ConfigException {
        GlobalConfig g = new GlobalConfig(file, values);
        g.validate();
        return g;
    }

    private void validate() throws ConfigException {
        for (String k : new String[] {"VE_ROOT", "VE_PRIVATE"}) {
            String v = values.get(k);
            if (v != null && !VEID.matcher(v).find()) {
                throw new ConfigException(k + " in " + file + " is '" + v + "' but must contain $VEID (each "
                        + "container needs its own directory), e.g. " + k + "=\"/var/lib/jvz/"
                        + (k.equals("VE_ROOT") ? "root" : "private") + "/$VEID\"");
            }
        }
        stopTimeout();
        runcTimeout();
        defaultDiskspace();
        defaultRam();
        defaultSwap();
    }

    public Path file() {
        return file;
    }

    private String str(String key, String def) {
        String v = values.get(key);
        return v == null || v.isBlank() ? def : v;
    }

    private Path path(String key, String def) {
        return Path.of(str(key, def)).toAbsolutePath().normalize();
    }

    /** Replaces $VEID/$CTID in {@code pattern} with {@code ctid}. */
    static String expand(String pattern, String ctid) {
        return VEID.matcher(pattern).replaceAll(java.util.regex.Matcher.quoteReplacement(ctid));
    }

    /** The mount point of {@code ctid}'s root file system (VE_ROOT). */
    public Path veRoot(String ctid) {
        return Path.of(expand(str("VE_ROOT", "/var/lib/jvz/root/$VEID"), ctid)).toAbsolutePath().normalize();
    }

    /** {@code ctid}'s private area (VE_PRIVATE). */
    public Path vePrivate(String ctid) {
        return Path.of(expand(str("VE_PRIVATE", "/var/lib/jvz/private/$VEID"), ctid)).toAbsolutePath().normalize();
    }

    public Path templateDir() {
        return path("TEMPLATE", "/var/lib/jvz/template");
    }

    public Path confDir() {
        return path("CONF_DIR", "/etc/jvz/conf");
    }

    public Path runcRoot() {
        return path("RUNC_ROOT", "/run/jvz/runc");
    }

    public Path lockDir() {
        return path("LOCK_DIR", "/run/jvz/lock");
    }

    public String netnsPrefix() {
        return str("NETNS_PREFIX", "jvz-");
    }

    /** The node's directory: NODE_DIR, else $JVZ_NODE_DIR, else the node's default. */
    public Path nodeDir() {
        String v = values.get("NODE_DIR");
        return v == null || v.isBlank() ? dev.jvz.node.NodePaths.resolve(null).dir() : Path.of(v).toAbsolutePath().normalize();
    }

    public String cgroupParent() {
        return str("CGROUP_PARENT", "jvz");
    }

    public String runcBinary() {
        return str("RUNC", "runc");
    }

    public String defaultOsTemplate() {
        return str("DEF_OSTEMPLATE", "busybox");
    }

    public long defaultDiskspace() throws ConfigException {
        return ByteSize.parse(str("DISKSPACE", "2G"), "DISKSPACE in " + file);
    }

    public long defaultRam() throws ConfigException {
        return ByteSize.parse(str("DEF_RAM", "512M"), "DEF_RAM in " + file);
    }

    public long defaultSwap() throws ConfigException {
        return ByteSize.parse(str("DEF_SWAP", "0"), "DEF_SWAP in " + file);
    }

    /** Raw DEF_CPUS / DEF_CPULIMIT (validated with a container's config), empty when unset. */
    public String defaultCpus() {
        return str("DEF_CPUS", "");
    }

    public String defaultCpulimit() {
        return str("DEF_CPULIMIT", "");
    }

    public Duration stopTimeout() throws ConfigException {
        return seconds("STOP_TIMEOUT", 30);
    }

    public Duration runcTimeout() throws ConfigException {
        return seconds("RUNC_TIMEOUT", 60);
    }

    private Duration seconds(String key, long def) throws ConfigException {
        String v = str(key, Long.toString(def));
        try {
            long s = Long.parseLong(v.strip());
            if (s <= 0 || s > 86_400) {
                throw new NumberFormatException();
            }
            return Duration.ofSeconds(s);
        } catch (NumberFormatException e) {
            throw new ConfigException(key + " in " + file + " is '" + v + "' but must be a number of seconds "
                    + "between 1 and 86400");
        }
    }

    /** The CTID.conf of {@code ctid}. */
    public Path ctConf(String ctid) {
        return confDir().resolve(ctid + ".conf");
    }

    /** True when the file exists (status output says which file is in effect). */
    public boolean fileExists() {
        return Files.exists(file);
    }
}
