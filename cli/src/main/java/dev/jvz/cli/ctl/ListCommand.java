package dev.jvz.cli.ctl;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.ct.CtException;
import dev.jvz.ct.CtInfo;
import dev.jvz.node.NodeException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code jvz list [-a] [-j] [-o FIELDS] [-H]}: containers as vzlist shows them. */
@Command(
        name = "list",
        description = {"List containers, as vzlist does.", "",
            "Without -a only running and suspended containers are listed. The default columns are "
                    + "ctid, nproc, status, ip, hostname; -o picks others (comma-separated)."},
        footerHeading = "%nFields (-o, and the keys of -j/--json):%n",
        footer = {"  ctid, nproc (processes), status (running, suspended, stopped), mounted, ip, hostname,",
            "  ostemplate, diskspace, ram, swap (bytes; 0 = unlimited), cpus, cpulimit (percent of one CPU),",
            "  onboot",
            "", "Examples:", "  jvz list", "  jvz list -a -o ctid,status,ram,diskspace", "  jvz list -a -j | jq '.[].ctid'"})
public final class ListCommand implements Callable<Integer> {
    private static final Map<String, Function<CtInfo, Object>> FIELDS = new LinkedHashMap<>();

    static {
        FIELDS.put("ctid", CtInfo::ctid);
        FIELDS.put("nproc", CtInfo::nproc);
        FIELDS.put("status", CtInfo::status);
        FIELDS.put("mounted", CtInfo::mounted);
        FIELDS.put("ip", CtInfo::ip);
        FIELDS.put("hostname", CtInfo::hostname);
        FIELDS.put("ostemplate", CtInfo::ostemplate);
        FIELDS.put("diskspace", CtInfo::diskspace);
        FIELDS.put("ram", CtInfo::ram);
        FIELDS.put("swap", CtInfo::swap);
        FIELDS.put("cpus", CtInfo::cpus);
        FIELDS.put("cpulimit", CtInfo::cpulimit);
        FIELDS.put("onboot", CtInfo::onboot);
    }

    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-a", "--all"}, description = "Also list stopped containers.")
    boolean all;

    @Option(names = {"-j"}, description = "JSON output (as --json), an array of objects.")
    boolean json;

    @Option(names = {"-o", "--output"}, paramLabel = "FIELDS", split = ",", description = "Columns to show.")
    List<String> fields;

    @Option(names = {"-H", "--no-header"}, description = "Do not print the header line.")
    boolean noHeader;

    @Override
    public Integer call() throws CtException, NodeException {
        List<String> cols = fields != null ? fields
                : json || common.json() ? new ArrayList<>(FIELDS.keySet()) : List.of("ctid", "nproc", "status", "ip", "hostname");
        for (String f : cols) {
            if (!FIELDS.containsKey(f)) {
                throw new ParameterException(spec.commandLine(), "unknown field '" + f + "'; known: "
                        + String.join(",", FIELDS.keySet()));
            }
        }
        List<CtInfo> rows = Ctl.open().list(all);
        PrintWriter out = spec.commandLine().getOut();
        if (json || common.json()) {
            List<Map<String, Object>> list = new ArrayList<>();
            for (CtInfo r : rows) {
                Map<String, Object> m = new LinkedHashMap<>();
                for (String f : cols) {
                    m.put(f, FIELDS.get(f).apply(r));
                }
                list.add(m);
            }
            Json.print(out, list);
            return ExitCodes.OK;
        }
        List<String[]> lines = new ArrayList<>();
        if (!noHeader) {
            lines.add(cols.stream().map(c -> c.toUpperCase(Locale.ROOT)).toArray(String[]::new));
        }
        for (CtInfo r : rows) {
            lines.add(cols.stream().map(c -> text(FIELDS.get(c).apply(r))).toArray(String[]::new));
        }
        int[] w = new int[cols.size()];
        for (String[] l : lines) {
            for (int i = 0; i < l.length; i++) {
                w[i] = Math.max(w[i], l[i].length());
            }
        }
        for (String[] l : lines) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < l.length; i++) {
                b.append(i == l.length - 1 ? l[i] : String.format("%-" + w[i] + "s ", l[i]));
            }
            out.println(b.toString().stripTrailing());
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String text(Object v) {
        if (v instanceof List<?> l) {
            return l.isEmpty() ? "-" : String.join(" ", l.stream().map(Object::toString).toList());
        }
        String s = String.valueOf(v);
        return s.isEmpty() ? "-" : s;
    }
}
