package dev.jvz.copy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * The sender's side of the final digest, kept up to date while the copy runs so that the frozen
 * window only re-hashes what changed in it (copy/PROTOCOL.md, "Final digest").
 *
 * <p>The final digest is the SHA-256 of the concatenated SHA-256 of each {@code rangeSize} range of
 * the destination file (the last one may be short): a hash list, because a whole-file SHA-256 cannot
 * be updated when one range changes. A range's digest is valid when it equals the source as it was at
 * some moment T and every write to that range after T was (or will be) sent after it:
 * <ul>
 *   <li>{@link #sent} hashes data as it is read to be sent (on the pass's reader thread, overlapping the
 *       sending) when it covers a range from its start in order (pass 1 is linear, so it hashes almost
 *       the whole file without a second read) and invalidates every range any other read touches: a
 *       write after T is tracked dirty and read again by a later pass, so it invalidates the range then;
 *   <li>{@link #known} takes the digest of a range the receiver kept (resume) and the source matched;
 *   <li>{@link #refresh} reads the still invalid ranges from the source: once unfrozen before the
 *       freeze (most of them), then while frozen for the few the final passes touched, with the clean
 *       header laid over range 0.
 * </ul>
 *
 * <p>Not thread-safe: used by one thread at a time (a pass's reader thread, then the copy's thread),
 * ordered by thread start and join.
 */
final class RangeDigests {
    private final int rangeSize;
    private final List<byte[]> digests = new ArrayList<>();
    private final BitSet valid = new BitSet();
    /** The range being hashed from sent data, -1 when none; {@link #streamPos} is the next byte it needs. */
    private int streaming = -1;
    private long streamPos;
    private final MessageDigest md = Digests.sha256();
    /** The file length the last {@link #refresh} hashed the (short) last range for; -1 before. */
    private long refreshedLength = -1;

    RangeDigests(int rangeSize) {
        if (rangeSize < JvzFormat.MIN_RANGE || rangeSize > JvzFormat.MAX_RANGE) {
            throw new IllegalArgumentException("rangeSize: " + rangeSize);
        }
        this.rangeSize = rangeSize;
    }

    int rangeSize() {
        return rangeSize;
    }

    /** Number of ranges whose digest is valid (tests and the report). */
    int validRanges() {
        return valid.cardinality();
    }

    /**
     * Data {@code [pos, pos + data.remaining())} was read from the source to be sent (in the order it
     * is sent); {@code data} is not consumed.
     */
    void sent(long pos, ByteBuffer data) {
        int n = data.remaining();
        if (n == 0) {
            return;
        }
        long end = pos + n;
        if (streaming >= 0 && pos != streamPos) {
            streaming = -1; // the in-order run broke: that range is read back by refresh
        }
        // Everything this send touches is no longer what an earlier digest saw.
        for (long r = pos / rangeSize; r <= (end - 1) / rangeSize; r++) {
            valid.clear((int) r);
        }
        if (streaming < 0 && pos % rangeSize == 0) {
            streaming = (int) (pos / rangeSize);
            streamPos = pos;
            md.reset();
        }
        if (streaming < 0) {
            return;
        }
        ByteBuffer d = data.duplicate();
        while (d.hasRemaining()) {
            long rangeEnd = (long) (streaming + 1) * rangeSize;
            int take = (int) Math.min(d.remaining(), rangeEnd - streamPos);
            ByteBuffer part = d.slice(d.position(), take);
            md.update(part);
            d.position(d.position() + take);
            streamPos += take;
            if (streamPos == rangeEnd) {
                set(streaming, md.digest()); // resets md
                streaming++;
            }
        }
    }

    /** Range {@code r} holds exactly the bytes that hash to {@code digest} (a kept range the source matched). */
    void known(int r, byte[] digest) {
        set(r, digest.clone());
    }

    /**
     * Hashes every invalid range of the first {@code length} bytes from {@code source}, with
     * {@code patch} (may be null) laid over position {@code patchPos}; bytes past the source's end are
     * zeros. The last range is re-hashed when the length changed since the last refresh: its end
     * moves with the file length.
     *
     * @return bytes read
     */
    long refresh(Digests.PositionalReader source, long length, long patchPos, byte[] patch) throws IOException {
        int count = count(length);
        long read = 0;
        for (int r = 0; r < count; r++) {
            long start = (long) r * rangeSize;
            long len = Math.min(rangeSize, length - start);
            boolean patched = patch != null && patchPos < start + len && patchPos + patch.length > start;
            if (valid.get(r) && (r != count - 1 || length == refreshedLength) && !patched) {
                continue;
            }
            Digests.PositionalReader reader = source;
            if (patched) {
                reader = (dst, pos) -> {
                    int p0 = dst.position();
                    int got = source.read(dst, pos);
                    long from = Math.max(pos, patchPos); // where the patch meets [pos, pos + got)
                    long to = Math.min(pos + Math.max(got, 0), patchPos + patch.length);
                    if (from < to) {
                        dst.put(p0 + (int) (from - pos), patch, (int) (from - patchPos), (int) (to - from));
                    }
                    return got;
                };
            }
            set(r, Digests.sha256(reader, start, len));
            read += len;
            if (patched) {
                valid.clear(r); // holds the patch, not the source: a later refresh must redo it
            }
        }
        refreshedLength = length;
        return read;
    }

    /** The final digest of a {@code length}-byte file; call after {@link #refresh} with that length. */
    FinalImage finalImage(long length) {
        int count = count(length);
        MessageDigest list = Digests.sha256();
        for (int r = 0; r < count; r++) {
            list.update(digests.get(r));
        }
        return new FinalImage(length, list.digest(), rangeSize);
    }

    private int count(long length) {
        return Math.toIntExact((length + rangeSize - 1) / rangeSize);
    }

    private void set(int r, byte[] digest) {
        while (digests.size() <= r) {
            digests.add(null);
        }
        digests.set(r, digest);
        valid.set(r);
    }
}
