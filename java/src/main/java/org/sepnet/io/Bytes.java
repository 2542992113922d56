package org.sepnet.io;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Bounds-checked little-endian reading of one section: every read checks that the bytes are there,
 * and every array length is checked against the bytes left before anything is allocated, so a
 * corrupt length can neither crash nor exhaust memory.
 */
final class Bytes {
    private final ByteBuffer buf;
    private final String where;

    Bytes(byte[] data, int offset, int length, String where) {
        this.buf = ByteBuffer.wrap(data, offset, length).slice().order(ByteOrder.LITTLE_ENDIAN);
        this.where = where;
    }

    int position() {
        return buf.position();
    }

    int remaining() {
        return buf.remaining();
    }

    CorruptModelException corrupt(String what) {
        return new CorruptModelException(where + " at byte " + buf.position() + ": " + what);
    }

    private void need(long n, String what) throws CorruptModelException {
        if (n < 0 || n > buf.remaining()) {
            throw corrupt("truncated: " + what + " needs " + n + " bytes, " + buf.remaining() + " left");
        }
    }

    int u8() throws CorruptModelException {
        need(1, "a byte");
        return buf.get() & 0xff;
    }

    int u16() throws CorruptModelException {
        need(2, "a 16-bit value");
        return buf.getShort() & 0xffff;
    }

    /** An unsigned 32-bit count or size, which must fit a positive int. */
    int u32(String what) throws CorruptModelException {
        need(4, what);
        long v = buf.getInt() & 0xffffffffL;
        if (v > Integer.MAX_VALUE) {
            throw corrupt(what + " is " + v + "; too large");
        }
        return (int) v;
    }

    int rawInt() throws CorruptModelException {
        need(4, "a 32-bit value");
        return buf.getInt();
    }

    float f32(String what) throws CorruptModelException {
        need(4, what);
        float v = buf.getFloat();
        if (!Float.isFinite(v)) {
            throw corrupt(what + " is " + v + "; expected a finite value");
        }
        return v;
    }

    String string(String what) throws CorruptModelException {
        int n = u32(what + " length");
        need(n, what);
        byte[] b = new byte[n];
        buf.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void needWords(long n, String what) throws CorruptModelException {
        if (n < 0 || n > buf.remaining() / 4) {
            throw corrupt("truncated: " + what + " needs " + (n < 0 || n > Long.MAX_VALUE / 4 ? n + " × 4" : String.valueOf(n * 4))
                    + " bytes, " + buf.remaining() + " left");
        }
    }

    float[] floats(long n, String what) throws CorruptModelException {
        needWords(n, what);
        float[] f = new float[(int) n];
        for (int i = 0; i < f.length; i++) {
            f[i] = buf.getFloat();
            if (!Float.isFinite(f[i])) {
                throw corrupt(what + "[" + i + "] is " + f[i] + "; expected finite values");
            }
        }
        return f;
    }

    int[] ints(long n, String what) throws CorruptModelException {
        needWords(n, what);
        int[] v = new int[(int) n];
        buf.asIntBuffer().get(v);
        buf.position(buf.position() + (int) n * 4);
        return v;
    }

    byte[] bytes(long n, String what) throws CorruptModelException {
        need(n, what);
        byte[] v = new byte[(int) n];
        buf.get(v);
        return v;
    }

    void requireEnd() throws CorruptModelException {
        if (buf.hasRemaining()) {
            throw corrupt(buf.remaining() + " unexpected bytes at the end");
        }
    }
}
