package dev.jvz.image;

/**
 * What {@link ImageChecker#check} may do, mirroring {@code ploop check}'s flags (OpenVZ ploop
 * {@code tools/ploop-check.c}, {@code lib/check.c}) plus QEMU's repair of duplicate clusters.
 *
 * <p>Repairs come in three strengths, as in ploop:
 * <ul>
 *   <li>soft: clearing a BAT entry for a cluster beyond the virtual size, trimming the leaked tail,
 *       fixing the empty flag and a zero v2 data offset. Done whenever the check may write.
 *   <li>hard: clearing a BAT entry that is unaligned (v1), points into the header/BAT area or past
 *       the end of the file, and clearing an interrupted-conversion flag. The data of that cluster
 *       is gone either way; ploop only does it with {@code -F}, so do we ({@link #hardForce}).
 *       Without it these are fatal and nothing is modified.
 *   <li>duplicates: two BAT entries naming one file cluster. ploop calls it fatal (and with
 *       {@code -F} merely ignores it); QEMU copies the cluster to a new one for every later entry.
 *       jvz does QEMU's copy when {@link #repairDuplicates} is set, so both virtual clusters keep
 *       reading exactly what they read before; otherwise it is fatal.
 * </ul>
 *
 * <p>The inUse mark means "open read-write elsewhere, or not closed cleanly". A marked image is
 * always checked, but repaired only with {@link #dropInUse}: truncating or rewriting a file that
 * another process still writes would destroy its data. With {@code dropInUse} the mark is cleared
 * once the image is consistent (ploop's {@code -d}); it is the last write, so a crash during the
 * repair leaves the image marked and it will be checked again.
 *
 * @param force {@code -f}: check even a clean image (inUse not set); ploop skips those otherwise
 * @param hardForce {@code -F}: also do the hard repairs above; implies {@code force}
 * @param readOnly {@code -r}: report only, never open the file for writing
 * @param dropInUse {@code -d}: the caller asserts nothing else has the image open: repair a marked
 *     image and clear its inUse mark once it is consistent
 * @param detailed {@code -c}: ploop's detailed check: also list holes (data clusters inside the image
 *     that no BAT entry uses). Unlike ploop, jvz looks for duplicate entries on every check, because
 *     {@link Image#open} refuses an image that has them.
 * @param repairDuplicates copy each later duplicate to a new cluster ({@code qemu-img check -r all})
 */
public record CheckOptions(
        boolean force,
        boolean hardForce,
        boolean readOnly,
        boolean dropInUse,
        boolean detailed,
        boolean repairDuplicates) {

    public CheckOptions {
        force = force || hardForce; // ploop: -F is "-f and try to fix even fatal errors"
    }

    /** {@code ploop check FILE}: check a marked image, skip a clean one, soft repairs only. */
    public static CheckOptions defaults() {
        return new CheckOptions(false, false, false, false, false, false);
    }

    /** {@code ploop check -f -r -c FILE}: check everything, modify nothing. */
    public static CheckOptions reportOnly() {
        return new CheckOptions(true, false, true, false, true, false);
    }

    /**
     * What a node runs on an image found marked in use after a crash, when it knows nothing else has
     * it open: repair the damage a crash can cause (a leaked tail), clear the mark.
     */
    public static CheckOptions afterCrash() {
        return new CheckOptions(false, false, false, true, false, false);
    }

    /** Everything: {@code ploop check -F -d -c} plus QEMU's duplicate repair. Data in bad entries is dropped. */
    public static CheckOptions repairAll() {
        return new CheckOptions(true, true, false, true, true, true);
    }
}
