package dev.jvz.ct;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The names {@link CtNetwork} gives kernel objects, derived deterministically from a prefix and a
 * CTID so that a restarted jvz (or a crashed one) finds its own objects again without a state file,
 * and never mistakes somebody else's interface for its own.
 *
 * <ul>
 *   <li>network namespace: {@code PREFIX + CTID}, e.g. {@code jvz-101} (a file in /run/netns, so
 *       length is no concern);
 *   <li>host veth: {@code ve + CTID} ({@code ve101}, what an admin expects to see in {@code ip link})
 *       for the default prefix and CTIDs of at most 13 characters; otherwise {@code ve-} followed by
 *       12 hex digits of SHA-256(netns name). Interface names hold at most 15 characters
 *       (IFNAMSIZ 16 including the NUL, include/uapi/linux/if.h). The hashed form cannot collide with
 *       the readable one: a CTID never starts with '-'. 48 bits of hash make an accidental collision
 *       between two containers negligible, and a collision is refused anyway because the alias
 *       below names the owner;
 *   <li>host veth alias ({@code ip link set ... alias}, IFLA_IFALIAS): {@code jvz:} + netns name.
 *       This is the ownership mark: jvz deletes only links carrying its mark.
 * </ul>
 *
 * <p>Prefixes are {@code [a-z0-9]{1,16}-}: exactly one '-', at the end. Then the prefix of any netns
 * name is everything up to its first '-', so two prefixes can never claim the same name
 * ({@code jvz-} + CTID {@code t-1} vs {@code jvz-t-} + CTID {@code 1} is impossible: {@code jvz-t-}
 * is not a valid prefix), and {@link CtNetwork#cleanupAll()} for {@code jvz-} never touches a test's
 * {@code jvznt-} objects.
 *
 * <p>CTIDs are {@code [A-Za-z0-9][A-Za-z0-9_.-]{0,63}}: vzctl's numeric IDs (101) and
 * Virtuozzo 7's UUIDs both fit; no '/', ':' or whitespace (forbidden in interface names and paths),
 * no leading '.' or '-' (no "..", no option-looking arguments to ip).
 *
 * <p>Thread-safe: stateless.
 */
final class NetNames {
    static final String DEFAULT_PREFIX = "jvz-";
    static final String ALIAS_MARK = "jvz:";
    /** IFNAMSIZ (16) minus the terminating NUL. */
    static final int MAX_IFNAME = 15;
    static final String READABLE_IF = "ve";
    static final String HASHED_IF = "ve-";
    /** 12 hex digits: 3 + 12 = 15 = MAX_IFNAME. */
    static final int HASH_HEX_DIGITS = MAX_IFNAME - HASHED_IF.length();

    static final Pattern CTID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    static final Pattern PREFIX = Pattern.compile("[a-z0-9]{1,16}-");

    private NetNames() {}

    static String checkCtid(String ctid) throws CtException {
        if (ctid == null || !CTID.matcher(ctid).matches()) {
            throw new CtException("invalid container ID '" + ctid + "': use 1 to 64 characters of letters, digits, "
                    + "'_', '.', '-', starting with a letter or digit (e.g. 101)");
        }
        return ctid;
    }

    static String checkPrefix(String prefix) {
        if (prefix == null || !PREFIX.matcher(prefix).matches()) {
            throw new IllegalArgumentException("netnsPrefix: '" + prefix
                    + "' (expected: 1 to 16 lower-case letters or digits followed by one '-', e.g. jvz-)");
        }
        return prefix;
    }

    static String netns(String prefix, String ctid) {
        return prefix + ctid;
    }

    static String hostIf(String prefix, String ctid) {
        if (prefix.equals(DEFAULT_PREFIX) && READABLE_IF.length() + ctid.length() <= MAX_IFNAME) {
            return READABLE_IF + ctid;
        }
        return HASHED_IF + sha256Hex(netns(prefix, ctid)).substring(0, HASH_HEX_DIGITS);
    }

    static String alias(String prefix, String ctid) {
        return ALIAS_MARK + netns(prefix, ctid);
    }

    /** A netns name split into its prefix and CTID. */
    record Owner(String prefix, String ctid) {}

    /** The owner a jvz alias names, or empty for any other alias (or none). */
    static Optional<Owner> ownerOfAlias(String alias) {
        if (alias == null || !alias.startsWith(ALIAS_MARK)) {
            return Optional.empty();
        }
        return ownerOfNetns(alias.substring(ALIAS_MARK.length()));
    }

    /** The prefix and CTID of a netns name, split at its first '-', or empty if it is no jvz name. */
    static Optional<Owner> ownerOfNetns(String name) {
        int dash = name.indexOf('-');
        if (dash < 0) {
            return Optional.empty();
        }
        String prefix = name.substring(0, dash + 1);
        String ctid = name.substring(dash + 1);
        if (!PREFIX.matcher(prefix).matches() || !CTID.matcher(ctid).matches()) {
            return Optional.empty();
        }
        return Optional.of(new Owner(prefix, ctid));
    }

    private static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError("every JDK has SHA-256", e);
        }
    }
}
