package dev.jvz.image;

import static dev.jvz.image.DiskTestSupport.*;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.jvz.image.DiskDescriptor.Snapshot;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stops snapshot, merge, delete, switch and grow at every step and shows the disk still reads the
 * same. Two kinds of stop: (1) a crash, simulated by copying the files exactly as they are at the
 * step (everything written so far, nothing the process still holds in memory, such as a BAT page
 * not yet flushed), then opening the copy; (2) an error thrown at the step, after which the original
 * disk must read the same and the operation must succeed when run again.
 */
class DiskCrashTest {
    static final String TOP = DiskDescriptor.TOP_GUID;
    static final String NEW = "{12345678-1234-1234-1234-123456789abc}";
    static final int CS = 64;
    static final long CB = CS * 512L;
    static final int CLUSTERS = 6;

    @TempDir
    Path tmp;

    enum Op {
        SNAPSHOT, MERGE_TOP, MERGE_MIDDLE, MERGE_INTO_SMALLER_PARENT, DELETE_LEAF, DELETE_ONE_CHILD, SWITCH, GROW
    }

    /** Step hook that records steps, optionally copies the disk at each, optionally throws at one. */
    static final class Stopper implements StepHook {
        final List<String> steps = new ArrayList<>();
        final Path disk;
        final Path crashRoot;
        final int throwAt;

        Stopper(Path disk, Path crashRoot, int throwAt) {
            this.disk = disk;
            this.crashRoot = crashRoot;
            this.throwAt = throwAt;
        }

        @Override
        public void reached(String step) throws IOException {
            int n = steps.size();
            steps.add(step);
            if (crashRoot != null) {
                copyDir(disk, crashRoot.resolve(String.format("%03d", n)));
            }
            if (n == throwAt) {
                throw new IOException("injected stop at step " + n + " (" + step + ")");
            }
        }
    }

    /** base <- s1 <- s2 <- top, random data in each; returns the model; s1, s2 GUIDs in {@code guids}. */
    static Map<String, byte[]> build(Path dir, Op op, List<String> guids) throws Exception {
        Random r = new Random(op.ordinal() * 1000L + 17);
        Map<String, byte[]> model = new LinkedHashMap<>();
        java.nio.file.Files.createDirectories(dir);
        try (Disk d = Disk.init(dir.resolve("root.hdd"), new CreateOptions(CB * CLUSTERS, CS, 2))) {
            byte[] top = randomWrites(d, new byte[(int) (CB * CLUSTERS)], r, 5, CB);
            for (int i = 0; i < 3; i++) {
                String s = d.snapshot(null);
                guids.add(s);
                model.put(s, top.clone());
                randomWrites(d, top, r, 4, CB);
            }
            if (op == Op.MERGE_INTO_SMALLER_PARENT) {
                d.grow(CB * (CLUSTERS + 3));
                top = Arrays.copyOf(top, (int) (CB * (CLUSTERS + 3)));
                randomWrites(d, top, r, 4, CB);
            }
            model.put(TOP, top);
            verifyAll(d, model, "built for " + op);
        }
        return model;
    }

    /** Runs {@code op} and returns the model after it. */
    static Map<String, byte[]> run(Disk d, Op op, Map<String, byte[]> pre, List<String> g) throws Exception {
        Map<String, byte[]> post = new LinkedHashMap<>(pre);
        String base = g.get(0);
        String s1 = g.get(1);
        String s2 = g.get(2);
        switch (op) {
            case SNAPSHOT -> {
                d.snapshot(NEW);
                post.put(NEW, pre.get(TOP));
            }
            case MERGE_TOP, MERGE_INTO_SMALLER_PARENT -> {
                d.mergeTop();
                post.remove(s2);
            }
            case MERGE_MIDDLE -> {
                d.merge(s1);
                post.remove(base);
            }
            case DELETE_LEAF -> {
                // Make s2 a leaf first: switch away from it (not under test here).
                d.switchTo(s1);
                post.put(TOP, pre.get(s1));
                return post; // DELETE_LEAF's real step runs in runSecond
            }
            case DELETE_ONE_CHILD -> {
                d.deleteSnapshot(s1);
                post.remove(s1);
            }
            case SWITCH -> {
                d.switchTo(base);
                post.put(TOP, pre.get(base));
            }
            case GROW -> {
                d.grow(CB * (CLUSTERS + 2));
                post.put(TOP, Arrays.copyOf(pre.get(TOP), (int) (CB * (CLUSTERS + 2))));
            }
        }
        return post;
    }

    /** Every snapshot of the disk in {@code dir} reads what one of the two models says for its GUID. */
    static void assertReadsSame(Path dir, Map<String, byte[]> pre, Map<String, byte[]> post, String why)
            throws Exception {
        try (Disk c = Disk.open(dir)) {
            DiskDescriptor d = c.descriptor();
            for (Snapshot s : d.snapshots()) {
                if (!post.containsKey(s.guid())) {
                    // The snapshot the operation removes: a merge rewrites the parent's file in place, so
                    // the parent alone no longer reads its old content once the copy began (ploop alike).
                    // Everything that survives the operation must read the same, checked below.
                    continue;
                }
                byte[] expected = post.get(s.guid());
                assertThat(expected).as(why + ": unexpected snapshot " + s.guid()).isNotNull();
                byte[] actual = readSnapshot(dir, d, s.guid());
                // A switch changes what the top GUID means: either model may hold.
                if (s.guid().equals(TOP) && !Arrays.equals(pre.get(TOP), post.get(TOP))
                        && (Arrays.equals(actual, pre.get(TOP)) || Arrays.equals(actual, post.get(TOP)))) {
                    continue;
                }
                assertSameContentZeroExtended(actual, expected, why + ": snapshot " + s.guid());
            }
            try (Image img = c.openImage(false)) {
                byte[] top = readAll(img);
                if (!Arrays.equals(top, pre.get(TOP))) {
                    assertSameContentZeroExtended(top, post.get(TOP), why + ": active disk");
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void aCrashAtEveryStepLeavesTheSameContent(Op op) throws Exception {
        Path dir = tmp.resolve("disk");
        List<String> guids = new ArrayList<>();
        Map<String, byte[]> pre = build(dir, op, guids);
        Map<String, byte[]> post;
        Stopper stopper = new Stopper(dir, tmp.resolve("crash"), -1);
        try (Disk d = Disk.open(dir)) {
            if (op == Op.DELETE_LEAF) {
                pre = run(d, op, pre, guids);
                d.setStepHook(stopper);
                d.deleteSnapshot(guids.get(2));
                post = new LinkedHashMap<>(pre);
                post.remove(guids.get(2));
            } else {
                d.setStepHook(stopper);
                post = run(d, op, pre, guids);
            }
            d.setStepHook(null);
            verifyAll(d, post, op + " done");
        }
        assertThat(stopper.steps).as("steps of " + op).isNotEmpty();
        for (int n = 0; n < stopper.steps.size(); n++) {
            Path copy = tmp.resolve("crash").resolve(String.format("%03d", n));
            assertReadsSame(copy, pre, post, op + ": crash after step " + n + " (" + stopper.steps.get(n) + ")");
        }
    }

    @ParameterizedTest
    @EnumSource(value = Op.class, names = {"SNAPSHOT", "MERGE_TOP", "MERGE_MIDDLE", "MERGE_INTO_SMALLER_PARENT",
            "DELETE_ONE_CHILD", "SWITCH", "GROW"})
    void anErrorAtEveryStepLeavesTheSameContentAndTheOperationCanBeRetried(Op op) throws Exception {
        Path template = tmp.resolve("template");
        List<String> guids = new ArrayList<>();
        Map<String, byte[]> pre = build(template, op, guids);
        // Count the steps on a throwaway copy.
        Path probe = tmp.resolve("probe");
        copyDir(template, probe);
        Stopper counter = new Stopper(probe, null, -1);
        Map<String, byte[]> post;
        try (Disk d = Disk.open(probe)) {
            d.setStepHook(counter);
            post = run(d, op, pre, guids);
        }
        for (int n = 0; n < counter.steps.size(); n++) {
            Path dir = tmp.resolve("stop" + n);
            copyDir(template, dir);
            String why = op + ": error at step " + n + " (" + counter.steps.get(n) + ")";
            try (Disk d = Disk.open(dir)) {
                d.setStepHook(new Stopper(dir, null, n));
                assertThatThrownBy(() -> run(d, op, pre, guids)).as(why).hasMessageContaining("injected stop");
            }
            assertReadsSame(dir, pre, post, why);
            // Either the stop came after the operation's last durable step, or it can simply run again
            // (switch and grow are idempotent, so they always run again).
            try (Disk d = Disk.open(dir)) {
                boolean complete = op != Op.SWITCH && op != Op.GROW && d.descriptor().snapshots().stream()
                        .map(Snapshot::guid).collect(java.util.stream.Collectors.toSet()).equals(post.keySet());
                if (!complete) {
                    run(d, op, pre, guids);
                }
            }
            assertReadsSame(dir, post, post, why + ", then run again");
        }
    }
}
