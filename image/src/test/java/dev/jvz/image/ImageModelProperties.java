package dev.jvz.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Model-based properties of the image engine: random operation sequences run against a real delta
 * stack and against an in-memory byte array, and must agree; after every reopen the files must also
 * be valid ploop images. No property-testing library: seeded {@link Random}, many seeds, the seed and
 * the last operations in every failure message.
 *
 * <p>Reproduce one failure with {@code -Djvz.model.seed=SEED} (runs only that seed for every
 * configuration); scale up with {@code -Djvz.model.seeds=N} (default 4 per configuration) and
 * {@code -Djvz.model.ops=N} (default 40 per sequence).
 *
 * <p>Adding an operation (snapshot, merge, delete, grow, switch from the Disk API): add a constant to
 * {@link Op} with its weight, a case in {@link Run#apply} that performs it on the files and updates
 * {@link Model} the way the operation is specified (PLOOP-FORMAT.md section 2: snapshot, merge and
 * delete leave the content unchanged; grow appends zeros; switch restores a snapshot's content, for
 * which the model would keep a content copy per snapshot GUID), and {@link Run#reopenAndValidate}
 * keeps checking the files.
 */
class ImageModelProperties {
    private static final int MAX_DEPTH = 5;
    private static final int DEFAULT_SEEDS = 4;
    private static final int DEFAULT_OPS = 40;

    @TempDir
    Path dir;

    /** What a step of a sequence does; the weight is its relative frequency. */
    enum Op {
        WRITE(40),
        READ_COMPARE(20),
        DISCARD(8),
        FLUSH(6),
        REOPEN(4),
        /** Close, put a new empty delta on top of the stack (lower ones become read-only), reopen. */
        PUSH_DELTA(3),
        /** Read the whole disk and compare it with the model. */
        FULL_COMPARE(3);

        final int weight;

        Op(int weight) {
            this.weight = weight;
        }

        static Op pick(Random r) {
            int total = 0;
            for (Op o : values()) {
                total += o.weight;
            }
            int x = r.nextInt(total);
            for (Op o : values()) {
                x -= o.weight;
                if (x < 0) {
                    return o;
                }
            }
            throw new AssertionError();
        }
    }

    /** The reference: what the disk must read as, and what must not change on disk. */
    static final class Model {
        final byte[] content;
        /** Lower deltas are read-only: their bytes must never change (path -> SHA-256 at push time). */
        final Map<Path, String> frozen = new LinkedHashMap<>();
        final List<Path> stack = new ArrayList<>();

        Model(int size) {
            content = new byte[size];
        }
    }

    static Stream<Arguments> configurations() {
        List<Arguments> out = new ArrayList<>();
        for (int cs : new int[] {64, 256, 2048}) {
            for (int v : new int[] {1, 2}) {
                out.add(Arguments.of(cs, v));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "cluster {0} sectors, v{1}")
    @MethodSource("configurations")
    void randomOperationSequencesAgreeWithTheModel(int clusterSectors, int version) throws Exception {
        long[] seeds = seeds(clusterSectors * 10L + version);
        int ops = Integer.getInteger("jvz.model.ops", DEFAULT_OPS);
        for (long seed : seeds) {
            Path runDir = Files.createDirectory(dir.resolve("seed-" + Long.toUnsignedString(seed)));
            Run run = new Run(runDir, seed, clusterSectors, version);
            AssertionError failure = null;
            try {
                run.execute(ops);
            } catch (Exception | AssertionError t) {
                failure = new AssertionError("model property failed: " + run.describe()
                        + "\n  reproduce: -Djvz.model.seed=" + seed + " -Dtest=ImageModelProperties"
                        + "\n  cause: " + t, t);
            }
            try {
                run.close();
            } catch (IOException e) {
                if (failure == null) {
                    throw e;
                }
                failure.addSuppressed(e);
            }
            if (failure != null) {
                throw failure;
            }
        }
    }

    private static long[] seeds(long salt) {
        Long fixed = Long.getLong("jvz.model.seed");
        if (fixed != null) {
            return new long[] {fixed};
        }
        int n = Integer.getInteger("jvz.model.seeds", DEFAULT_SEEDS);
        long[] out = new long[n];
        Random r = new Random(salt);
        for (int i = 0; i < n; i++) {
            out[i] = r.nextLong();
        }
        return out;
    }

    /** One sequence: its files, its model, its history (for the failure message). */
    static final class Run {
        final Path dir;
        final long seed;
        final int clusterSectors;
        final int version;
        final long cb;
        final Random r;
        final Model model;
        final Deque<String> history = new ArrayDeque<>();
        int step;
        Image image;

        Run(Path dir, long seed, int clusterSectors, int version) throws IOException, ImageException {
            this.dir = dir;
            this.seed = seed;
            this.clusterSectors = clusterSectors;
            this.version = version;
            this.cb = clusterSectors * 512L;
            this.r = new Random(seed);
            // 3..10 clusters (3..6 of 1 MiB, to stay fast); the requested size is often not a multiple
            // of the cluster (ploop rounds up).
            long clusters = 3 + r.nextInt(cb >= 1 << 20 ? 4 : 8);
            long requested = clusters * cb - (r.nextBoolean() ? r.nextInt((int) cb - 1) : 0);
            Path base = dir.resolve("root.hdd");
            Image.create(base, new CreateOptions(requested, clusterSectors, version));
            model = new Model((int) (clusters * cb));
            model.stack.add(base);
            note("create " + requested + " bytes -> " + clusters + " clusters");
            image = Image.openStack(model.stack, true);
            assertThat(image.size()).as("size rounded up to whole clusters").isEqualTo(clusters * cb);
        }

        void execute(int ops) throws Exception {
            for (step = 0; step < ops; step++) {
                apply(Op.pick(r));
            }
            reopenAndValidate();
            compareAll();
            // Hashing every lower delta at every reopen would dominate the run time; once at the end
            // proves the same: no byte of a read-only layer changed since it was pushed down.
            for (Map.Entry<Path, String> e : model.frozen.entrySet()) {
                assertThat(sha256(e.getKey())).as(e.getKey() + " is a lower delta and must never change")
                        .isEqualTo(e.getValue());
            }
        }

        void apply(Op op) throws Exception {
            switch (op) {
                case WRITE -> {
                    long[] range = range(true);
                    byte[] data = new byte[(int) range[1]];
                    r.nextBytes(data);
                    note("write " + range[0] + " +" + range[1]);
                    image.write(range[0], ByteBuffer.wrap(data));
                    System.arraycopy(data, 0, model.content, (int) range[0], data.length);
                }
                case READ_COMPARE -> {
                    long[] range = range(false);
                    note("read " + range[0] + " +" + range[1]);
                    ByteBuffer got = ByteBuffer.allocate((int) range[1]);
                    image.read(range[0], got);
                    byte[] expect = Arrays.copyOfRange(model.content, (int) range[0], (int) (range[0] + range[1]));
                    assertSame(expect, got.array(), range[0]);
                }
                case DISCARD -> {
                    long[] range = range(true);
                    note("discard " + range[0] + " +" + range[1]);
                    image.discard(range[0], range[1]);
                    Arrays.fill(model.content, (int) range[0], (int) (range[0] + range[1]), (byte) 0);
                }
                case FLUSH -> {
                    note("flush");
                    image.flush();
                }
                case REOPEN -> {
                    note("close, validate, reopen");
                    reopenAndValidate();
                }
                case PUSH_DELTA -> {
                    if (model.stack.size() >= MAX_DEPTH) {
                        note("push skipped (depth " + MAX_DEPTH + ")");
                        return;
                    }
                    image.close();
                    Path oldTop = model.stack.getLast();
                    model.frozen.put(oldTop, sha256(oldTop));
                    Path top = dir.resolve("root.hdd." + model.stack.size());
                    Image.create(top, new CreateOptions(model.content.length, clusterSectors, version));
                    model.stack.add(top);
                    note("push delta -> depth " + model.stack.size());
                    image = null;
                    reopenAndValidate();
                }
                case FULL_COMPARE -> {
                    note("compare all");
                    compareAll();
                }
            }
        }

        /** A random range: sometimes whole clusters, sometimes small, often crossing a cluster boundary. */
        long[] range(boolean forWrite) {
            long size = model.content.length;
            long off;
            long len;
            switch (r.nextInt(forWrite ? 5 : 4)) {
                case 0 -> { // whole clusters
                    long c = r.nextLong(size / cb);
                    off = c * cb;
                    len = cb * (1 + r.nextLong(Math.min(3, size / cb - c)));
                }
                case 1 -> { // small, anywhere
                    len = 1 + r.nextInt(600);
                    off = r.nextLong(size - len + 1);
                }
                case 2 -> { // straddling a cluster boundary
                    long boundary = cb * (1 + r.nextLong(size / cb - 1));
                    long before = 1 + r.nextLong(Math.min(cb, boundary));
                    long after = 1 + r.nextLong(Math.min(cb, size - boundary));
                    off = boundary - before;
                    len = before + after;
                }
                case 3 -> { // anything up to three clusters
                    len = 1 + r.nextLong(Math.min(size, 3 * cb));
                    off = r.nextLong(size - len + 1);
                }
                default -> { // the last bytes of the disk
                    len = 1 + r.nextLong(Math.min(size, cb));
                    off = size - len;
                }
            }
            return new long[] {off, len};
        }

        void compareAll() throws IOException {
            ByteBuffer got = ByteBuffer.allocate(model.content.length);
            image.read(0, got);
            assertSame(model.content, got.array(), 0);
        }

        /** Closes the stack, checks every file, reopens it. */
        void reopenAndValidate() throws Exception {
            if (image != null) {
                image.close();
                image = null;
            }
            for (int i = 0; i < model.stack.size(); i++) {
                validateFile(model.stack.get(i));
            }
            image = Image.openStack(model.stack, true);
            assertThat(image.depth()).isEqualTo(model.stack.size());
            compareAll();
        }

        /** A closed delta: whole clusters, a sane clean header, a BAT of valid unique entries. */
        void validateFile(Path p) throws IOException, ImageException {
            long fileSize = Files.size(p);
            assertThat(fileSize % cb).as(p + ": file size " + fileSize + " is a multiple of the cluster").isZero();
            try (FileChannel ch = FileChannel.open(p, StandardOpenOption.READ)) {
                ByteBuffer hb = ByteBuffer.allocate(PloopFormat.HEADER_SIZE);
                RawLayer.readFully(ch, 0, hb, p);
                PloopHeader h = PloopHeader.decode(hb.flip(), p.toString());
                assertThat(h.version()).as(p + ": version").isEqualTo(version);
                assertThat(h.clusterSectors()).as(p + ": cluster").isEqualTo(clusterSectors);
                assertThat(h.isInUse()).as(p + ": inUse cleared on close").isFalse();
                assertThat(h.sizeBytes()).as(p + ": virtual size").isEqualTo(model.content.length);
                assertThat(h.batEntries()).as(p + ": BAT entries").isEqualTo(model.content.length / cb);
                assertThat(h.flags() & PloopFormat.FLAG_CONVERSION).as(p + ": no conversion flag").isZero();
                long dataStart = h.dataStartCluster();
                assertThat(dataStart * cb).as(p + ": the data area starts inside the file").isLessThanOrEqualTo(fileSize);
                int[] bat = Delta.readBat(ch, h, fileSize, p);
                long mapped = 0;
                java.util.BitSet used = new java.util.BitSet();
                for (int i = 0; i < bat.length; i++) {
                    if (bat[i] == 0) {
                        continue;
                    }
                    mapped++;
                    long c = Delta.entryToCluster(h, bat[i]);
                    assertThat(c).as(p + ": BAT entry " + i + " aligned, past the header, inside the file")
                            .isGreaterThanOrEqualTo(dataStart).isLessThan(fileSize / cb);
                    assertThat(used.get((int) c)).as(p + ": BAT entry " + i + " unique").isFalse();
                    used.set((int) c);
                }
                if (mapped > 0) {
                    assertThat(h.isEmptyFlag()).as(p + ": empty flag cleared once data was written").isFalse();
                }
                // Bytes past the BAT, inside the header clusters, stay zero (PLOOP-FORMAT.md section 1).
                long batEnd = PloopFormat.HEADER_SIZE + (long) bat.length * PloopFormat.BAT_ENTRY_SIZE;
                ByteBuffer pad = ByteBuffer.allocate((int) (h.headerClusters() * cb - batEnd)).order(ByteOrder.LITTLE_ENDIAN);
                RawLayer.readFully(ch, batEnd, pad, p);
                for (int i = 0; i < pad.capacity(); i++) {
                    if (pad.get(i) != 0) {
                        throw new AssertionError(p + ": byte " + (batEnd + i) + " after the BAT is not zero");
                    }
                }
            }
        }

        void assertSame(byte[] expect, byte[] got, long base) {
            int i = Arrays.mismatch(expect, got);
            if (i >= 0 && i < Math.min(expect.length, got.length)) {
                throw new AssertionError("disk offset " + (base + i) + " (cluster " + ((base + i) / cb)
                        + ", layer " + image.layerOf((base + i) / cb) + "): expected " + expect[i]
                        + " but read " + got[i]);
            }
            assertThat(got.length).isEqualTo(expect.length);
        }

        void note(String s) {
            history.addLast("#" + step + " " + s);
            if (history.size() > 12) {
                history.removeFirst();
            }
        }

        String describe() {
            return "seed " + seed + ", cluster " + clusterSectors + " sectors, v" + version + ", depth "
                    + model.stack.size() + ", step " + step + "; last steps:\n    " + String.join("\n    ", history);
        }

        void close() throws IOException {
            if (image != null) {
                Image i = image;
                image = null;
                i.close();
            }
        }

        static String sha256(Path p) throws IOException {
            try {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                return HexFormat.of().formatHex(md.digest(Files.readAllBytes(p)));
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
