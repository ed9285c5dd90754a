package dev.jvz.cli.ploop;

import dev.jvz.cli.CliException;
import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.image.Disk;
import dev.jvz.image.DiskDescriptor;
import dev.jvz.image.ImageException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop snapshot-list [-H] [-u UUID] [-o FIELDS] DiskDescriptor.xml}: ploop's table of
 * snapshots.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "snapshot-list",
        description = {
            "List the snapshots of a disk.",
            "",
            "Print one line per snapshot in descriptor order, with ploop's columns: PARENT_UUID, C (a * "
                    + "marks the current top), UUID and FNAME (the delta file). With -u, only the chain "
                    + "from that snapshot down to the base image, in that order.",
            "",
            "The descriptor is read without taking the disk lock, so this works on a mounted disk too."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  descriptor          the DiskDescriptor.xml read",
            "  top_uuid            UUID of the current top",
            "  snapshots           one object per snapshot, in the order of the table:",
            "    uuid, parent_uuid (all zeros for the base), current (true for the top),",
            "    file (absolute path of the delta),",
            "    temporary (deleted, but kept because several snapshots depend on it)",
            "  (-o and -H shape the table only; -u limits the JSON list too)",
            "",
            "Examples:",
            "  jvz ploop snapshot-list root.hdd/DiskDescriptor.xml",
            "  jvz ploop snapshot-list -H -o uuid,fname root.hdd",
            "  jvz ploop snapshot-list --json root.hdd | jq -r '.snapshots[].uuid'"
        })
final class SnapshotListCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-H", "--no-header"}, description = "Do not print the header line.")
    boolean noHeader;

    @Option(names = {"-o", "--output"}, paramLabel = "FIELDS", split = ",", hideParamSyntax = true,
            description = "Columns to print, in this order: uuid, parent_uuid, current, fname (any case). "
                    + "Default: parent_uuid,current,uuid,fname, as ploop.")
    List<String> fields;

    @Option(names = {"-u", "--uuid"}, paramLabel = "UUID", converter = GuidConverter.class,
            description = "List only this snapshot and its parents down to the base image.")
    String uuid;

    @Parameters(index = "0", paramLabel = "DiskDescriptor.xml", description = DiskParam.DESCRIPTION)
    Path disk;

    /**
     * @param descriptor the descriptor read
     * @param topUuid UUID of the current top
     * @param snapshots the snapshots listed
     */
    record Listing(String descriptor, String topUuid, List<Entry> snapshots) {
        Listing {
            snapshots = List.copyOf(snapshots);
        }
    }

    /**
     * @param uuid the snapshot's UUID
     * @param parentUuid its parent's, all zeros for the base
     * @param current it is the current top
     * @param file its delta file, absolute
     * @param temporary deleted but kept for several children
     */
    record Entry(String uuid, String parentUuid, boolean current, String file, boolean temporary) {}

    /** One column: ploop's field name, header and width (printf widths of ploop's snapshot-list). */
    private enum Field {
        UUID("UUID", 38),
        PARENT_UUID("PARENT_UUID", 38),
        CURRENT("C", 1),
        FNAME("FNAME", 32);

        final String header;
        final int width;

        Field(String header, int width) {
            this.header = header;
            this.width = width;
        }

        String toHeader() {
            return header;
        }

        String value(Entry e) {
            return switch (this) {
                case UUID -> e.uuid();
                case PARENT_UUID -> e.parentUuid();
                case CURRENT -> e.current() ? "*" : "";
                case FNAME -> e.file();
            };
        }
    }

    @Override
    public Integer call() throws IOException, ImageException, CliException {
        DiskParam.require(spec, disk);
        List<Field> columns = columns();
        Path xml = DiskArgs.descriptorFile(disk);
        DiskDescriptor d = Disk.readDescriptor(xml);
        Listing listing = new Listing(xml.toString(), d.topGuid(), entries(xml, d));
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, listing);
        } else if (!common.quiet()) {
            if (!noHeader) {
                out.println(row(columns, Field::toHeader, null));
            }
            for (Entry e : listing.snapshots()) {
                out.println(row(columns, null, e));
            }
            out.flush();
        }
        return ExitCodes.OK;
    }

    private List<Field> columns() {
        if (fields == null || fields.isEmpty()) {
            return List.of(Field.PARENT_UUID, Field.CURRENT, Field.UUID, Field.FNAME);
        }
        List<Field> out = new ArrayList<>();
        for (String f : fields) {
            try {
                out.add(Field.valueOf(f.strip().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), "unknown field '" + f
                        + "' for -o: use uuid, parent_uuid, current or fname");
            }
        }
        return out;
    }

    private List<Entry> entries(Path xml, DiskDescriptor d) throws CliException {
        List<DiskDescriptor.Snapshot> shots;
        if (uuid == null) {
            shots = d.snapshots();
        } else {
            if (d.snapshot(uuid) == null) {
                throw DiskArgs.noSnapshot(xml, uuid);
            }
            shots = new ArrayList<>();
            // From the snapshot down to the base; the descriptor was validated, so the walk ends.
            for (DiskDescriptor.Snapshot s = d.snapshot(uuid); s != null;
                    s = s.isBase() ? null : d.snapshot(s.parentGuid())) {
                shots.add(s);
            }
        }
        List<Entry> out = new ArrayList<>();
        for (DiskDescriptor.Snapshot s : shots) {
            out.add(new Entry(s.guid(), s.parentGuid(), s.guid().equalsIgnoreCase(d.topGuid()),
                    xml.getParent().resolve(d.image(s.guid()).file()).toString(), s.temporary()));
        }
        return out;
    }

    /** One line: each column padded to ploop's width and a space, the last one unpadded. */
    private static String row(List<Field> columns, java.util.function.Function<Field, String> header, Entry e) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < columns.size(); i++) {
            Field f = columns.get(i);
            String v = header != null ? header.apply(f) : f.value(e);
            if (i == columns.size() - 1) {
                sb.append(v);
            } else {
                sb.append(v);
                sb.repeat(' ', Math.max(0, f.width - v.length()));
                sb.append(' ');
            }
        }
        return sb.toString().stripTrailing();
    }
}
