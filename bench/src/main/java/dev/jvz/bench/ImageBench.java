package dev.jvz.bench;

import dev.jvz.image.Convert;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import dev.jvz.image.PloopFormat;
import dev.jvz.image.Progress;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Benchmark harness for the image engine, run side by side with qemu-img/qemu-io by
 * {@code bench/image-bench.sh}. Each mode does one job and prints one result line
 * ({@code key=value ...}) so the script can parse it; the script also times the whole process.
 *
 * <pre>
 * mkraw   RAW --size BYTES [--data-percent 75] [--seed S]   realistic raw disk: data runs, zero runs, holes
 * import  RAW DELTA [--cluster-sectors 2048] [--version 2]  Convert.importRaw
 * export  DELTA RAW                                         Convert.export (overwrites RAW)
 * offsets DELTA OUT --ops N [--bs 4096] [--seed S]          N random bs-aligned offsets inside allocated clusters
 * randrw  DELTA --ops N [--bs 4096] --read|--write [--seed S] [--offsets FILE]
 * </pre>
 *
 * <p>Not thread-safe; a command-line tool.
 */
public final class ImageBench {
    private static final double MIB = 1024.0 * 1024.0;

    private ImageBench() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage("no mode given");
        }
        BenchArgs a = new BenchArgs(args, java.util.Set.of("--read", "--write"), ImageBench::usage);
        switch (args[0]) {
            case "mkraw" -> mkraw(Path.of(a.positional(0)), a.size("--size", -1), a.intOpt("--data-percent", 75),
                    a.longOpt("--seed", 1));
            case "import" -> importRaw(Path.of(a.positional(0)), Path.of(a.positional(1)),
                    a.intOpt("--cluster-sectors", PloopFormat.DEFAULT_CLUSTER_SECTORS), a.intOpt("--version", 2));
            case "export" -> export(Path.of(a.positional(0)), Path.of(a.positional(1)));
            case "offsets" -> {
                long[] offs = offsets(Path.of(a.positional(0)), a.intOpt("--ops", 10_000), a.intOpt("--bs", 4096),
                        a.longOpt("--seed", 1));
                try (BufferedWriter w = Files.newBufferedWriter(Path.of(a.positional(1)))) {
                    for (long o : offs) {
                        w.write(Long.toString(o));
                        w.newLine();
                    }
                }
                System.out.println("mode=offsets ops=" + offs.length);
            }
            case "randrw" -> randrw(Path.of(a.positional(0)), a.intOpt("--ops", 10_000), a.intOpt("--bs", 4096),
                    a.has("--write"), a.longOpt("--seed", 1), a.opt("--offsets"));
            default -> usage("unknown mode '" + args[0] + "'");
        }
    }

    private static void usage(String why) {
        System.err.println("ImageBench: " + why + "\nusage: ImageBench mkraw|import|export|offsets|randrw ...;"
                + " see the class comment");
        System.exit(2);
    }

    /**
     * A raw disk that looks like a used file system: runs of random data (64 KiB to 8 MiB) and runs of
     * zeros, about {@code dataPercent}% data by bytes; half the zero runs are holes, half written zeros
     * (as a dd-made image would have them).
     */
    static void mkraw(Path raw, long size, int dataPercent, long seed) throws IOException {
        if (size <= 0) {
            usage("mkraw needs --size");
        }
        SplittableRandom r = new SplittableRandom(seed);
        final int unit = 64 * 1024;
        ByteBuffer data = ByteBuffer.allocateDirect(8 << 20);
        ByteBuffer zeros = ByteBuffer.allocateDirect(8 << 20);
        long dataBytes = 0;
        try (FileChannel ch = FileChannel.open(raw, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            long off = 0;
            while (off < size) {
                int len = (int) Math.min(size - off, (long) unit * (1 + r.nextInt(128)));
                boolean isData = r.nextInt(100) < dataPercent;
                ByteBuffer b;
                if (isData) {
                    data.clear().limit(len);
                    while (data.remaining() >= 8) {
                        data.putLong(r.nextLong());
                    }
                    data.flip();
                    b = data;
                    dataBytes += len;
                } else if (r.nextBoolean()) {
                    b = zeros.clear().limit(len);
                } else {
                    off += len; // a hole
                    continue;
                }
                long pos = off;
                while (b.hasRemaining()) {
                    pos += ch.write(b, pos);
                }
                off += len;
            }
            ch.truncate(size);
            if (ch.size() < size) {
                ch.write(ByteBuffer.allocate(1), size - 1);
            }
            ch.force(true);
        }
        System.out.printf("mode=mkraw bytes=%d data_bytes=%d data_percent=%.1f%n", size, dataBytes,
                100.0 * dataBytes / size);
    }

    static void importRaw(Path raw, Path delta, int clusterSectors, int version) throws IOException, ImageException {
        Files.deleteIfExists(delta);
        long t0 = System.nanoTime();
        Convert.Result r = Convert.importRaw(raw, delta, clusterSectors, version, Progress.NONE);
        report("import", t0, r.virtualBytes(), r.dataBytes());
    }

    static void export(Path delta, Path raw) throws IOException, ImageException {
        long t0 = System.nanoTime();
        try (Image img = Image.open(delta, false)) {
            Convert.Result r = Convert.export(img, img.clusterBytes(), raw, true, Progress.NONE);
            report("export", t0, r.virtualBytes(), r.dataBytes());
        }
    }

    private static void report(String mode, long t0, long virtualBytes, long dataBytes) {
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("mode=%s seconds=%.3f virtual_mib_s=%.1f data_bytes=%d%n", mode, s, virtualBytes / MIB / s,
                dataBytes);
    }

    /** Random bs-aligned offsets, uniformly spread over the clusters the image has allocated. */
    static long[] offsets(Path delta, int ops, int bs, long seed) throws IOException, ImageException {
        try (Image img = Image.open(delta, false)) {
            List<Long> mapped = new ArrayList<>();
            for (long c = 0; c < img.clusters(); c++) {
                if (img.layerOf(c) >= 0) {
                    mapped.add(c);
                }
            }
            if (mapped.isEmpty()) {
                throw new IllegalStateException(delta + " has no allocated cluster; import data first");
            }
            long perCluster = img.clusterBytes() / bs;
            SplittableRandom r = new SplittableRandom(seed);
            long[] out = new long[ops];
            for (int i = 0; i < ops; i++) {
                long c = mapped.get(r.nextInt(mapped.size()));
                long off = c * img.clusterBytes() + r.nextLong(perCluster) * bs;
                out[i] = Math.min(off, img.size() - bs);
            }
            return out;
        }
    }

    static void randrw(Path delta, int ops, int bs, boolean write, long seed, String offsetsFile)
            throws IOException, ImageException {
        long[] offs;
        if (offsetsFile != null) {
            offs = Files.readAllLines(Path.of(offsetsFile)).stream().filter(l -> !l.isBlank())
                    .mapToLong(Long::parseLong).toArray();
        } else {
            offs = offsets(delta, ops, bs, seed);
        }
        ByteBuffer buf = ByteBuffer.allocateDirect(bs);
        SplittableRandom r = new SplittableRandom(seed);
        while (buf.remaining() >= 8) {
            buf.putLong(r.nextLong());
        }
        long t0 = System.nanoTime();
        try (Image img = Image.open(delta, write)) {
            for (long off : offs) {
                buf.clear();
                if (write) {
                    img.write(off, buf);
                } else {
                    img.read(off, buf);
                }
            }
            img.flush();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.out.printf("mode=randrw op=%s ops=%d bs=%d seconds=%.3f ops_s=%.0f mib_s=%.1f%n",
                write ? "write" : "read", offs.length, bs, s, offs.length / s, (double) offs.length * bs / MIB / s);
    }
}
