package dev.jvz.image;

/**
 * One line of a disk's snapshot list ({@code ploop snapshot-list}: uuid, parent_uuid, current, fname).
 *
 * @param uuid the snapshot's GUID, e.g. {@code {5fbaabe3-6958-40ff-92a7-860e329aab41}}
 * @param parentUuid its parent's GUID, {@link DiskDescriptor#NONE_GUID} for the base
 * @param current true for the active top (the descriptor's TopGUID)
 * @param fileName the image file, relative to the descriptor's directory
 * @param temporary deleted but kept because several snapshots depend on it
 */
public record SnapshotInfo(String uuid, String parentUuid, boolean current, String fileName, boolean temporary) {}
