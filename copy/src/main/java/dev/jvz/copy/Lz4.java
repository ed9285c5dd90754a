package dev.jvz.copy;

import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * LZ4 block compression of the jvz protocol ({@code FLAG_LZ4}): one raw LZ4 block per DATA frame,
 * no LZ4 frame format (the jvz header already carries both lengths and the CRC32C). Stateless;
 * lz4-java's compressors and decompressors are thread-safe.
 */
final class Lz4 {
    private Lz4() {}

    /** Native LZ4 when its bundled library loads (Linux amd64/arm64), else the pure Java one. */
    static final LZ4Factory FACTORY = LZ4Factory.fastestInstance();
    /**
     * The safe decompressor: it never reads or writes outside the given arrays, whatever a peer sends
     * (the fast one trusts the announced length).
     */
    private static final LZ4SafeDecompressor SAFE = FACTORY.safeDecompressor();

    /**
     * Decompresses {@code wire[0, wireLen)} into {@code raw[0, rawLen)}; it must yield exactly
     * {@code rawLen} bytes.
     *
     * @throws CopyProtocolException if the payload is not an LZ4 block of that size
     */
    static void decompress(byte[] wire, int wireLen, byte[] raw, int rawLen, long pos) throws CopyProtocolException {
        int n;
        try {
            n = SAFE.decompress(wire, 0, wireLen, raw, 0, rawLen);
        } catch (LZ4Exception e) {
            throw new CopyProtocolException("DATA frame at offset " + pos + ": the lz4 payload does not decompress ("
                    + e.getMessage() + ")", e);
        }
        if (n != rawLen) {
            throw new CopyProtocolException("DATA frame at offset " + pos + ": the lz4 payload decompresses to " + n
                    + " bytes, the header says " + rawLen);
        }
    }
}
