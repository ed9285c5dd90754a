package dev.jvz.cli;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Every exit status {@code jvz} returns, in one place.
 *
 * <p>Where ploop has a code for the same failure, jvz returns ploop's number, so scripts written for
 * {@code ploop} keep working: the numbers are ploop's {@code SYSEXIT_*} enum in
 * {@code include/libploop.h} (OpenVZ/ploop), which counts up from {@code SYSEXIT_CREAT = 1}. The
 * exception is 2: ploop's {@code SYSEXIT_DEVICE} is about its kernel device, which jvz does not have,
 * and 2 is what picocli and most Unix tools return for a usage error.
 *
 * <p>Constants only; thread-safe.
 */
public final class ExitCodes {
    private ExitCodes() {}

    /** Success. */
    public static final int OK = 0;
    /**
     * The operation failed for the reason printed; also "a file to create already exists".
     * ploop's SYSEXIT_CREAT is 1, and 1 is every tool's generic failure.
     */
    public static final int FAILED = 1;
    /** Bad command line: unknown option, missing or malformed argument (picocli's convention). */
    public static final int USAGE = 2;
    /** An input file does not exist or may not be opened (ploop SYSEXIT_OPEN = 4). */
    public static final int OPEN = 4;
    /** Writing failed because the file system is full (ploop SYSEXIT_WRITE = 7). */
    public static final int WRITE = 7;
    /**
     * The image violates the ploop format; run {@code jvz ploop check} (ploop SYSEXIT_PLOOPFMT = 11).
     * Also {@code check}'s verdict "errors remain" (fatal, or not repaired: read-only, no -F), as
     * ploop check returns SYSEXIT_PLOOPFMT when the content is not clean at the end.
     */
    public static final int CORRUPTED = 11;
    /** Any other I/O error reported by the system (ploop SYSEXIT_SYS = 12). */
    public static final int IO = 12;
    /**
     * A copy stream failed: malformed or truncated, the receiver refused it or reported a failure,
     * or a checksum or the final digest differs (ploop SYSEXIT_PROTOCOL = 13, what ploop copy's
     * receiver returns on a corrupted stream).
     */
    public static final int PROTOCOL = 13;
    /**
     * Busy (ploop SYSEXIT_EBUSY = 17): the disk is already mounted or the mount point is in use; for
     * {@code check}, the image is marked in use in the middle of a v1/v2 format conversion, so nothing
     * may touch it (what ploop check returns then).
     */
    public static final int BUSY = 17;
    /**
     * Another process holds the disk's DiskDescriptor.xml lock: a node has the disk mounted, or another
     * jvz command works on it (ploop SYSEXIT_LOCK = 23).
     */
    public static final int LOCKED = 23;
    /**
     * Creating the file system failed, or a tool it needs is missing (ploop SYSEXIT_MKFS = 24, what
     * ploop init returns when mkfs fails).
     */
    public static final int MKFS = 24;
    /**
     * The image is marked in use: open elsewhere or not closed cleanly (ploop SYSEXIT_PLOOPINUSE = 37).
     * Also {@code check}'s verdict when the only problem left is the mark (ploop check returns it when
     * the dirty flag is set and -d was not given). {@code check} returns 0 when the image is clean or
     * every problem was repaired, as ploop check does.
     */
    public static final int IN_USE = 37;
    /**
     * The snapshot UUID given with -u is not in the disk's descriptor (ploop SYSEXIT_NOSNAP = 43;
     * vzctl reads it on snapshot-delete as "already deleted").
     */
    public static final int NO_SNAPSHOT = 43;
    /** A value is well-formed but not allowed, e.g. a v1 image over 2 TiB (ploop SYSEXIT_PARAM = 38). */
    public static final int PARAM = 38;
    /** DiskDescriptor.xml is malformed or describes an impossible stack (ploop SYSEXIT_DISKDESCR = 39). */
    public static final int DESCRIPTOR = 39;
    /**
     * The jvz node (the per-host process that owns mounted disks) is not running and could not be
     * started or reached. ploop has no node; 69 is EX_UNAVAILABLE from BSD {@code sysexits.h}.
     */
    public static final int NODE_UNAVAILABLE = 69;
    /**
     * A bug in jvz (an unexpected exception). ploop has no such code; 70 is EX_SOFTWARE from BSD
     * {@code sysexits.h}, far from ploop's range.
     */
    public static final int INTERNAL = 70;

    // Containers (jvz ctl, jvz list): vzctl's numbers (VZ_* in vzctl's include/vzerror.h), so scripts
    // written for vzctl keep working, where they do not collide with ploop's above.
    /** Another jvz command holds the container's lock (vzctl VZ_LOCKED = 9). */
    public static final int CT_LOCKED = 9;
    /** The container does not exist: no CTID.conf (vzctl VZ_NOVE_CONFIG = 14). */
    public static final int CT_NOT_FOUND = 14;
    /** A configuration value is invalid (vzctl VZ_INVALID_PARAMETER_VALUE = 21). */
    public static final int CT_CONFIG = 21;
    /** The container is not running (vzctl VZ_VE_NOT_RUNNING = 31). */
    public static final int CT_NOT_RUNNING = 31;
    /** The container is running (vzctl VZ_VE_RUNNING = 32). */
    public static final int CT_RUNNING = 32;
    /** An IP address is held by another container or interface (vzctl VZ_CANT_ADDIP = 34). */
    public static final int CT_ADDRESS = 34;
    /** The container's file system is not mounted (vzctl VZ_FS_NOT_MOUNTED = 40). */
    public static final int CT_NOT_MOUNTED = 40;
    /** The container's file system is already mounted (vzctl VZ_FS_MOUNTED = 41). */
    public static final int CT_MOUNTED = 41;
    /** The container or its private area exists already (vzctl VZ_FS_PRVT_AREA_EXIST = 44). */
    public static final int CT_EXISTS = 44;
    /** The OS template is missing or unusable (vzctl VZ_FS_BAD_TMPL = 47). */
    public static final int CT_TEMPLATE = 47;

    /** The table printed in every command's {@code --help}, in numeric order. */
    static Map<String, String> helpTable() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put(pad(OK), "success");
        m.put(pad(FAILED), "failed (reason printed), e.g. the file to create already exists");
        m.put(pad(USAGE), "bad command line (unknown option, missing or malformed argument)");
        m.put(pad(OPEN), "an input file is missing or may not be opened");
        m.put(pad(WRITE), "no space left on the file system");
        m.put(pad(CORRUPTED), "the image is corrupted (check: errors remain); run 'jvz ploop check'");
        m.put(pad(CT_LOCKED), "the container is locked by another jvz command");
        m.put(pad(IO), "other I/O error");
        m.put(pad(PROTOCOL), "copy stream failed: malformed, refused, or checksums differ");
        m.put(pad(CT_NOT_FOUND), "the container does not exist");
        m.put(pad(BUSY), "busy: already mounted, mount point in use; check: format conversion in progress");
        m.put(pad(CT_CONFIG), "a container setting is invalid (the message names key and file)");
        m.put(pad(LOCKED), "the disk is in use: mounted, or locked by another jvz command");
        m.put(pad(MKFS), "creating the file system failed, or its tools are missing");
        m.put(pad(CT_NOT_RUNNING), "the container is not running");
        m.put(pad(CT_RUNNING), "the container is running (stop it first)");
        m.put(pad(CT_ADDRESS), "the IP address is in use by another container or interface");
        m.put(pad(IN_USE), "the image is marked in use or was not closed cleanly; run 'jvz ploop check -d'");
        m.put(pad(PARAM), "a value is not allowed (e.g. v1 image larger than 2 TiB)");
        m.put(pad(DESCRIPTOR), "DiskDescriptor.xml is invalid");
        m.put(pad(CT_NOT_MOUNTED), "the container is not mounted");
        m.put(pad(CT_MOUNTED), "the container is already mounted");
        m.put(pad(NO_SNAPSHOT), "no snapshot with the given UUID (see 'jvz ploop snapshot-list')");
        m.put(pad(CT_EXISTS), "the container (or its private area) exists already");
        m.put(pad(CT_TEMPLATE), "the OS template is not installed or unusable");
        m.put(pad(NODE_UNAVAILABLE), "the jvz node is not running and could not be started");
        m.put(pad(INTERNAL), "internal error in jvz; rerun with --stacktrace and report it");
        return new LinkedHashMap<>(new java.util.TreeMap<>(m)); // keys are padded: text order is numeric order
    }

    private static String pad(int code) {
        return String.format("%3d", code);
    }
}
