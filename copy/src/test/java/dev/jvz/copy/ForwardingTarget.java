package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * A {@link TargetFile} that passes every call to a real one; test decorators (a full disk, a hint
 * counter) override only what they change. {@link #writeOwned} is deliberately not forwarded: the
 * interface's default routes it through {@link #writeFully}, so a decorator sees every write there.
 * Not thread-safe beyond what the delegate is.
 */
abstract class ForwardingTarget implements TargetFile {
    final TargetFile delegate;

    ForwardingTarget(TargetFile delegate) {
        this.delegate = delegate;
    }

    @Override
    public void writeFully(ByteBuffer src, long pos) throws IOException {
        delegate.writeFully(src, pos);
    }

    @Override
    public void force() throws IOException {
        delegate.force();
    }

    @Override
    public void startWriteback() {
        delegate.startWriteback();
    }

    @Override
    public long size() throws IOException {
        return delegate.size();
    }

    @Override
    public void truncate(long size) throws IOException {
        delegate.truncate(size);
    }

    @Override
    public int read(ByteBuffer dst, long pos) throws IOException {
        return delegate.read(dst, pos);
    }

    @Override
    public void close() throws IOException {
        delegate.close();
    }
}
