package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.cli.ExitCodes;
import dev.jvz.cli.Json;
import dev.jvz.cli.CliException;
import dev.jvz.cli.Sizes;
import dev.jvz.cli.Terminal;
import dev.jvz.copy.CopyReport;
import dev.jvz.copy.CopySink;
import dev.jvz.copy.FreezeStep;
import dev.jvz.copy.Receiver;
import dev.jvz.copy.Transports;
import dev.jvz.image.Disk;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import dev.jvz.node.CopyJob;
import dev.jvz.node.CopySpec;
import dev.jvz.node.Exec;
import dev.jvz.node.MountRecord;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * {@code jvz ploop copy}: ploop's live image copy (PLOOP-FORMAT.md section 3). With {@code -s} it
 * sends a disk's top delta file while it may be written; without, it receives one into {@code -d FILE}.
 *
 * <p>picocli makes one instance per run and fills it on the calling thread; never shared.
 */
@Command(
        name = "copy",
        description = {
            "Copy a disk's top delta file while it is in use (sender), or receive such a copy (receiver).",
            "",
            "Sender (-s): copies the top delta file of the disk, as ploop copy does: pass 1 reads the "
                    + "whole file while the disk keeps being written, later passes re-send what was "
                    + "written meanwhile, until little is left (or --max-downtime fits); then STOPCMD (-F) "
                    + "stops the writers, the final passes run, the header is sent with its in-use mark "
                    + "cleared, and the writers may continue. If the disk is mounted, the jvz node that "
                    + "serves it runs the copy: it also syncs and freezes the file system (FIFREEZE) "
                    + "around the final passes and thaws it afterwards, on success and failure alike.",
            "",
            "Destinations: -d FILE (a new local file), --to HOST:PORT (a receiver started with "
                    + "--listen; the jvz protocol, or ploop's legacy stream if the receiver only speaks "
                    + "that), or -o FD with -f FD for the receiver's answers (ploop's pipes; the jvz "
                    + "protocol unless --legacy; -o without -f needs --legacy and gets no acknowledgements).",
            "",
            "The jvz protocol checks every block by CRC32C, may compress blocks (--compress zstd|lz4), and "
                    + "by default ends with a final digest of the whole image that both ends compare "
                    + "before the copy counts as done (--no-digest to skip; its cost is kept out of the "
                    + "frozen window: the sender hashes the data as it reads it to send and, while frozen, only "
                    + "what changed; the receiver reads its copy back after the thaw). A mismatch fails "
                    + "the copy with exit code 13 and the receiver removes the copy (unless --keep).",
            "",
            "Receiver (no -s): reads a stream (legacy or jvz, told apart by its first bytes) from "
                    + "stdin or -i FD and answers on -f FD, or takes one TCP connection on --listen "
                    + "ADDR:PORT for both, and writes -d FILE, which must not exist unless --resume.",
            "",
            "Resume (jvz protocol): a receiver started with --keep keeps its partial file when the copy "
                    + "fails; started again with --resume on that file, it offers the SHA-256 of each "
                    + "4 MiB range it holds, and the sender (which always asks) skips the ranges that "
                    + "still match its source; the final digest proves the result.",
            "",
            "On a terminal the sender shows a progress line on stderr (also for a copy the node runs): "
                    + "pass, bytes sent, rate, dirty bytes, and an ETA that counts the data re-dirtied "
                    + "since it was sent. Never with --quiet or --json. While a stream goes to stdout "
                    + "(-o 1), use -q: the summary would go there too."
        },
        footerHeading = "%nJSON output (--json):%n",
        footer = {
            "  sender: file_size, passes[] (number, phase LIVE|PRE_FREEZE|FROZEN, bytes,",
            "  nanos, bandwidth, dirty_bytes_at_end, dirty_rate), stop_reason, frozen",
            "  (freeze_nanos, final_pass_nanos, digest_nanos, sync_nanos, thaw_nanos,",
            "  total_nanos, final_bytes), bytes_sent, total_nanos, verify (null without a",
            "  final digest: sha256 of the hash list, range_size, pre_freeze_nanos,",
            "  pre_freeze_bytes, frozen_bytes, compare_nanos)",
            "  receiver: file, protocol, bytes_written, syncs, final_length, sha256, digest",
            "  (what sha256 is: hash_list or whole_file = the sender's final digest, compared",
            "  with verify.sha256; local = the received file's SHA-256 with --local-digest,",
            "  compared with nothing; none = no digest, sha256 null)",
            "",
            "Examples:",
            "  TCP: receiver first, then the sender (a mounted disk, its container suspended):",
            "    jvz ploop copy -d /vz/new/root.hdd --listen 0.0.0.0:4000",
            "    jvz ploop copy -s /vz/private/101/root.hdd -F 'jvz ctl suspend 101' --to node2:4000 -t",
            "  local file:",
            "    jvz ploop copy -s root.hdd/DiskDescriptor.xml -d /backup/root.hdd -t",
            "  descriptors (jvz protocol, answers through a fifo), e.g. over ssh:",
            "    mkfifo fb; jvz ploop copy -q -s root.hdd -o 1 -f 3 3<fb \\",
            "      | ssh node2 jvz ploop copy -q -d /vz/root.hdd -f 1 >fb",
            "  stdio, ploop's legacy stream without answers (as 'ploop copy -o 1'):",
            "    jvz ploop copy -q -s root.hdd --legacy -o 1 | ssh node2 jvz ploop copy -q -d /vz/root.hdd",
            "  ploop-style pipes to a ploop receiver: jvz ploop copy -s root.hdd --legacy -o 5 -f 6",
            "  resume a copy that broke (the receiver ran with --keep):",
            "    jvz ploop copy -d /vz/new/root.hdd --resume --keep --listen 0.0.0.0:4000",
            "    jvz ploop copy -s root.hdd --to node2:4000"
        })
final class CopyCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-s", "--source"}, paramLabel = "DISK",
            description = "Send: the disk's DiskDescriptor.xml or its directory.")
    Path source;

    @Option(names = "-F", paramLabel = "STOPCMD",
            description = "Sender: command (sh -c) that stops the disk's writers before the final pass "
                    + "(e.g. suspends the container); it must finish within 60 s.")
    String stopCommand;

    @Option(names = "--max-downtime", paramLabel = "D",
            description = "Sender: stop iterating once the final pass is predicted to take at most D "
                    + "(e.g. 200ms, 2s, 1m). Default: iterate until converged, as ploop.")
    String maxDowntime;

    @Option(names = "--granularity", paramLabel = "BYTES",
            description = "Sender: dirty-tracking unit, a power of two (4K default).")
    String granularity;

    @Option(names = "--compress", paramLabel = "zstd|lz4",
            description = "Sender: compress each block with zstd (level 1: smaller) or lz4 (faster, lighter on "
                    + "CPU); a block that does not shrink goes raw; jvz protocol only, and only if the receiver "
                    + "supports the codec (else blocks go raw). Off by default: image clusters over a LAN "
                    + "rarely pay for it.")
    String compress;

    @Option(names = "--bwlimit", paramLabel = "RATE",
            description = "Sender: send at most RATE bytes/s on the wire (K, M, G suffixes: powers of 1024); "
                    + "not with -d.")
    String bwlimit;

    @Option(names = "--legacy", description = "Sender: speak ploop's legacy stream only (for a ploop receiver).")
    boolean legacy;

    @Option(names = "--digest", negatable = true,
            description = "Sender: end with a final digest of the whole image that both ends compare before the "
                    + "copy counts as done (a mismatch fails with exit code 13). Default: on for the jvz "
                    + "protocol (--to, -o/-f), off for -d FILE; the legacy stream has none. A resumed copy needs it.")
    Boolean digest;

    @Option(names = {"-t", "--timings"},
            description = "Sender: print a table of the passes (bytes, time, rate, dirty bytes at the end) and "
                    + "of the frozen window (freeze, final passes, digest, sync, thaw), and the digest's cost.")
    boolean timings;

    @Option(names = {"-d", "--file"}, paramLabel = "FILE",
            description = "Sender: copy into this new local file. Receiver: the file to write.")
    Path file;

    @Option(names = "-o", paramLabel = "FD", description = "Sender: write the stream to descriptor FD.")
    Integer outFd;

    @Option(names = "-f", paramLabel = "FD",
            description = "Feedback descriptor: the sender reads answers from it, the receiver writes them.")
    Integer feedbackFd;

    @Option(names = "--to", paramLabel = "HOST:PORT",
            description = "Sender: connect to a receiver started with --listen (jvz protocol; falls back to "
                    + "ploop's legacy stream if the receiver only speaks that).")
    String to;

    @Option(names = "-i", paramLabel = "FD", description = "Receiver: read the stream from FD (default stdin).")
    Integer inFd;

    @Option(names = "--listen", paramLabel = "ADDR:PORT",
            description = "Receiver: take one TCP connection for the stream and its answers.")
    String listen;

    @Option(names = "--keep", description = "Receiver: keep a partial file after a failure (for --resume).")
    boolean keep;

    @Option(names = "--resume", description = "Receiver: continue into an existing (kept) file (jvz protocol).")
    boolean resume;

    @Option(names = "--local-digest", description = "Receiver: when the sender sends no final digest (--no-digest, "
            + "--legacy), read the received file back once the sender has its answer and report its SHA-256 "
            + "(compared with nothing; costs a read of the whole image).")
    boolean localDigest;

    /**
     * The receiver's result as printed with --json; {@code digest} says what {@code sha256} is: hash_list or
     * whole_file (the sender's final digest, compared), local (computed here alone), none (sha256 null).
     */
    record Received(String file, String protocol, long bytesWritten, int syncs, long finalLength, String sha256,
                    String digest) {}

    @Override
    public Integer call() throws Exception {
        return source != null ? send() : receive();
    }

    // ---- sender ------------------------------------------------------------------------------

    private Integer send() throws Exception {
        for (var o : List.<Object[]>of(new Object[] {inFd, "-i"}, new Object[] {listen, "--listen"},
                new Object[] {keep ? true : null, "--keep"}, new Object[] {resume ? true : null, "--resume"},
                new Object[] {localDigest ? true : null, "--local-digest"})) {
            if (o[0] != null) {
                throw usage(o[1] + " is a receiver option; it cannot be used with -s");
            }
        }
        int dests = (file != null ? 1 : 0) + (outFd != null ? 1 : 0) + (to != null ? 1 : 0);
        if (dests != 1) {
            throw usage("the sender needs exactly one destination: -d FILE, -o FD or --to HOST:PORT");
        }
        if (feedbackFd != null && outFd == null) {
            throw usage("-f FD goes with -o FD");
        }
        if (outFd != null && feedbackFd == null && !legacy) {
            throw usage("-o without -f needs --legacy (the jvz protocol needs the receiver's answers)");
        }
        if (compress != null && !"zstd".equals(compress) && !"lz4".equals(compress)) {
            throw usage("--compress: '" + compress + "' (expected: zstd or lz4)");
        }
        if (bwlimit != null && file != null) {
            throw usage("--bwlimit paces a stream (--to, -o); -d FILE writes locally at full speed");
        }
        if (compress != null && legacy) {
            throw usage("--compress needs the jvz protocol; drop --legacy");
        }
        if (Boolean.TRUE.equals(digest) && legacy) {
            throw usage("--digest needs the jvz protocol (ploop's legacy stream has no final digest); drop --legacy");
        }
        if (!DiskArgs.isDescriptor(source)) {
            throw usage("-s: '" + source + "' is not a DiskDescriptor.xml or a directory holding one");
        }
        Long downtimeMs = maxDowntime == null ? null : parseDuration(maxDowntime).toMillis();
        Integer gran = null;
        if (granularity != null) {
            long g = parseBytes("--granularity", granularity);
            if (g < 512 || Long.bitCount(g) != 1 || g > 1 << 30) {
                throw usage("--granularity: " + granularity + " (expected: a power of two, at least 512)");
            }
            gran = (int) g;
        }
        long bw = bwlimit == null ? 0 : parseBytes("--bwlimit", bwlimit);
        CopySpec cs = new CopySpec(file == null ? null : file.toAbsolutePath().toString(), to, outFd != null,
                legacy, compress != null, bw, downtimeMs, gran, stopCommand, null, feedbackFd != null, digest,
                compress);

        CopyReport report;
        Optional<NodeClient> node = NodeRouting.servingNode(source);
        if (node.isPresent()) {
            report = sendThroughNode(node.get(), cs);
        } else {
            report = sendHere(cs);
        }
        print(report);
        return ExitCodes.OK;
    }

    /** Unmounted disk: the copy runs here, on the disk opened read-only under its lock. */
    private CopyReport sendHere(CopySpec cs) throws IOException, ImageException {
        FreezeStep freeze = stopCommand == null ? FreezeStep.NONE : new FreezeStep() {
            @Override
            public void freeze() throws IOException {
                Exec.check(Duration.ofSeconds(CopySpec.DEFAULT_STOP_TIMEOUT_SECONDS), List.of("sh", "-c", stopCommand));
            }

            @Override
            public void thaw() {
            }
        };
        try (Disk d = DiskArgs.open(source); Image img = d.openImage(false)) {
            Transports.Duplex fds = null;
            if (outFd != null) {
                OutputStream out = Transports.outputFd(outFd);
                InputStream fb = feedbackFd != null ? Transports.inputFd(feedbackFd) : null;
                fds = new Transports.Duplex(fb, out, null);
            }
            CopySink sink = CopyJob.openSink(cs, fds);
            try (CopyProgress progress = progressLine()) {
                return CopyJob.run(img, cs, sink, freeze, () -> { }, progress);
            }
        }
    }

    /**
     * Mounted disk: the node that serves it runs the copy (it has the live image and the write
     * tracker). For -o/-f the node cannot use our descriptors, so it listens on a relay socket and
     * two threads here pump the bytes between that socket and the descriptors.
     */
    private CopyReport sendThroughNode(NodeClient node, CopySpec cs) throws Exception {
        try (CopyProgress progress = progressLine()) {
            // The node streams where the copy is only when there is a line to draw.
            return sendThroughNode(node, cs, progressWanted() ? progress::progress : null);
        }
    }

    /** The progress line: on stderr, only when it is a terminal and neither --quiet nor --json was given. */
    private CopyProgress progressLine() {
        return CopyProgress.forStderr(spec.commandLine().getErr(), "copy", !progressWanted());
    }

    private boolean progressWanted() {
        return !common.quiet() && !common.json() && Terminal.isTerminal(Terminal.STDERR);
    }

    private CopyReport sendThroughNode(NodeClient node, CopySpec cs,
            java.util.function.Consumer<dev.jvz.copy.LiveCopy.Progress> progress) throws Exception {
        if (outFd == null) {
            return node.copy(source, cs, progress);
        }
        Path xml = DiskArgs.descriptorFile(source);
        String id = null;
        for (MountRecord r : node.list()) {
            if (r.descriptor().equals(xml)) {
                id = r.id();
            }
        }
        if (id == null) {
            throw new NodeException(NodeException.Kind.NOT_FOUND, xml + " is no longer mounted");
        }
        Relay relay = new Relay(CopyJob.relaySocket(node.paths(), id), Transports.outputFd(outFd),
                feedbackFd != null ? Transports.inputFd(feedbackFd) : null);
        relay.start();
        try {
            return node.copy(source, cs, progress);
        } finally {
            relay.stop();
        }
    }

    private void print(CopyReport r) {
        PrintWriter out = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(out, r);
            return;
        }
        if (common.quiet()) {
            return;
        }
        String dest = file != null ? file.toString() : to != null ? to : "fd " + outFd;
        out.printf(Locale.ROOT, "copied %s (%s) to %s: %d passes, %s sent, frozen %.1f ms (%s)%n",
                DiskArgs.descriptorFile(source), Sizes.human(r.fileSize()), dest, r.passes().size(),
                Sizes.human(r.bytesSent()), r.frozen().totalNanos() / 1e6, r.stopReason());
        if (r.verify() != null) {
            out.printf(Locale.ROOT, "final digest verified by both ends: %s%n", r.verify().sha256());
        }
        if (timings) {
            out.print(CopyTable.render(r));
        }
        out.flush();
    }

    // ---- receiver ----------------------------------------------------------------------------

    private Integer receive() throws Exception {
        for (var o : List.<Object[]>of(new Object[] {stopCommand, "-F"}, new Object[] {maxDowntime, "--max-downtime"},
                new Object[] {granularity, "--granularity"}, new Object[] {compress, "--compress"},
                new Object[] {bwlimit, "--bwlimit"}, new Object[] {legacy ? true : null, "--legacy"},
                new Object[] {timings ? true : null, "-t"}, new Object[] {outFd, "-o"}, new Object[] {to, "--to"},
                new Object[] {digest, digest == null || digest ? "--digest" : "--no-digest"})) {
            if (o[0] != null) {
                throw usage(o[1] + " is a sender option; it needs -s DISK");
            }
        }
        if (file == null) {
            throw usage("give -s DISK to send, or -d FILE to receive");
        }
        if (listen != null && (inFd != null || feedbackFd != null)) {
            throw usage("--listen carries both directions; it cannot be combined with -i or -f");
        }
        Receiver.Options opts = Receiver.Options.defaults().withKeep(keep).withResume(resume)
                .withLocalDigest(localDigest);
        Receiver.Result r;
        PrintWriter err = spec.commandLine().getErr();
        if (listen != null) {
            try (ServerSocket ss = Transports.listen(listen)) {
                if (!common.quiet()) {
                    err.println("copy: listening on " + ss.getInetAddress().getHostAddress() + ":" + ss.getLocalPort());
                    err.flush();
                }
                try (Transports.Duplex d = Transports.accept(ss, Duration.ZERO)) {
                    r = new Receiver().receive(d.in(), d.out(), file, opts);
                }
            }
        } else {
            if (inFd == null && Terminal.isTerminal(0)) {
                throw new CliException(ExitCodes.PARAM, "the stream must come from a pipe or a socket, not a "
                        + "terminal; pipe a sender into stdin, or use -i FD or --listen ADDR:PORT");
            }
            InputStream in = inFd != null ? Transports.inputFd(inFd) : new FileInputStream(FileDescriptor.in);
            OutputStream fb = feedbackFd != null ? Transports.outputFd(feedbackFd) : null;
            try {
                r = new Receiver().receive(in, fb, file, opts);
            } finally {
                if (inFd != null) {
                    in.close();
                }
                if (fb != null) {
                    fb.close();
                }
            }
        }
        Received out = new Received(file.toString(), r.protocol(), r.bytesWritten(), r.syncs(), r.finalLength(),
                r.sha256() == null ? null : HexFormat.of().formatHex(r.sha256()),
                r.digest().name().toLowerCase(Locale.ROOT));
        PrintWriter o = spec.commandLine().getOut();
        if (common.json()) {
            Json.print(o, out);
        } else if (!common.quiet()) {
            o.println("received " + out.file() + " (" + out.protocol() + "): " + Sizes.human(out.bytesWritten())
                    + " written, " + out.syncs() + " syncs, " + out.finalLength() + " bytes"
                    + switch (r.digest()) {
                        case NONE -> "";
                        case HASH_LIST -> ", final digest (hash list) verified with the sender: " + out.sha256();
                        case WHOLE_FILE -> ", final digest (whole file) verified with the sender: " + out.sha256();
                        case LOCAL -> ", sha256 " + out.sha256() + " (computed here, not compared)";
                    });
            o.flush();
        }
        return ExitCodes.OK;
    }

    // ---- parsing -----------------------------------------------------------------------------

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m)");
    private static final Pattern BYTES = Pattern.compile("(\\d{1,15})([KkMmGg]?)");

    private Duration parseDuration(String s) {
        Matcher m = DURATION.matcher(s);
        if (!m.matches()) {
            throw usage("--max-downtime: '" + s + "' (expected: a number with ms, s or m, e.g. 200ms)");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            default -> Duration.ofMinutes(n);
        };
    }

    private long parseBytes(String option, String s) {
        Matcher m = BYTES.matcher(s);
        if (!m.matches()) {
            throw usage(option + ": '" + s + "' (expected: bytes, or a number with K, M or G)");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            default -> 0;
        };
        return Long.parseLong(m.group(1)) << shift;
    }

    private ParameterException usage(String msg) {
        return new ParameterException(spec.commandLine(), msg);
    }
}
