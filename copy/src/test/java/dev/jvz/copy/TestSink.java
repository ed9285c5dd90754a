package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

/**
 * A sink for tests: applies writes to a local file (or just counts them), records every call, sleeps
 * per write if asked, and fails at a chosen call. Calls come from one thread (the copy's), as the
 * CopySink contract says; the recorded lists are synchronized so a test thread may read them.
 */
final class TestSink implements CopySink {
    enum Call { WRITE, SYNC, FINISH, CLOSE }

    private final FileChannel out;
    final List<Call> calls = Collections.synchronizedList(new ArrayList<>());
    final List<long[]> writes = Collections.synchronizedList(new ArrayList<>());
    private Call failCall;
    private int failNth;
    private int seen;
    /** Set (e.g. by a freeze step) to make the next write fail. */
    volatile boolean failNextWrite;
    long sleepNanosPerWrite;
    /** Told the byte count of every write (fake clocks advance by it). */
    LongConsumer onWrite = n -> { };
    long bytes;

    private TestSink(FileChannel out) {
        this.out = out;
    }

    static TestSink toFile(Path file) throws IOException {
        return new TestSink(FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE));
    }

    static TestSink counting() {
        return new TestSink(null);
    }

    /** The {@code nth} (1-based) call of kind {@code c} throws an IOException. */
    TestSink failAt(Call c, int nth) {
        failCall = c;
        failNth = nth;
        return this;
    }

    static final class InjectedFailure extends IOException {
        InjectedFailure(String m) {
            super(m);
        }
    }

    private void maybeFail(Call c) throws IOException {
        calls.add(c);
        if (c == failCall && ++seen == failNth) {
            throw new InjectedFailure("injected failure at " + c + " #" + failNth);
        }
    }

    @Override
    public void write(long pos, ByteBuffer data) throws IOException {
        if (failNextWrite) {
            calls.add(Call.WRITE);
            throw new InjectedFailure("injected failure at the first write after the freeze");
        }
        maybeFail(Call.WRITE);
        int n = data.remaining();
        writes.add(new long[] {pos, n});
        bytes += n;
        if (sleepNanosPerWrite > 0) {
            sleep(sleepNanosPerWrite);
        }
        onWrite.accept(n);
        if (out != null) {
            long p = pos;
            while (data.hasRemaining()) {
                p += out.write(data, p);
            }
        } else {
            data.position(data.limit());
        }
    }

    static void sleep(long nanos) {
        try {
            TimeUnit.NANOSECONDS.sleep(nanos);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void sync() throws IOException {
        maybeFail(Call.SYNC);
        if (out != null) {
            out.force(false);
        }
    }

    @Override
    public void finish() throws IOException {
        maybeFail(Call.FINISH);
        if (out != null) {
            out.force(false);
        }
    }

    @Override
    public void close() throws IOException {
        calls.add(Call.CLOSE);
        if (out != null) {
            out.close();
        }
    }

    long count(Call c) {
        synchronized (calls) {
            return calls.stream().filter(x -> x == c).count();
        }
    }
}
