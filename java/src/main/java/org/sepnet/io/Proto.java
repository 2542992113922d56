package org.sepnet.io;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One protobuf message read field by field with protobuf-java's wire reader, without generated
 * classes: values are kept by field number and interpreted on access (a message, a string, packed
 * or unpacked numbers). Errors name the message being read.
 */
final class Proto {
    /** A fixed64 field's bits (kept apart from varints, which are Longs). */
    private record Fixed64(long bits) {}

    private final Map<Integer, List<Object>> fields = new HashMap<>();
    private final String what;

    private Proto(String what) {
        this.what = what;
    }

    /** Parses {@code bytes} as one message; {@code what} names it in errors. */
    static Proto parse(ByteString bytes, String what) throws IOException {
        Proto p = new Proto(what);
        CodedInputStream in = bytes.newCodedInput();
        in.setRecursionLimit(64);
        try {
            for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
                int field = WireFormat.getTagFieldNumber(tag);
                Object v = switch (WireFormat.getTagWireType(tag)) {
                    case WireFormat.WIRETYPE_VARINT -> in.readInt64();
                    case WireFormat.WIRETYPE_FIXED32 -> in.readFixed32();
                    case WireFormat.WIRETYPE_FIXED64 -> new Fixed64(in.readFixed64());
                    case WireFormat.WIRETYPE_LENGTH_DELIMITED -> in.readBytes();
                    default -> throw new IOException(what + " is not a valid protobuf message: wire type " + WireFormat.getTagWireType(tag)
                            + " in field " + field + " (groups and unknown wire types are not used by these formats)");
                };
                p.fields.computeIfAbsent(field, k -> new ArrayList<>()).add(v);
            }
        } catch (InvalidProtocolBufferException e) {
            throw new IOException(what + " is not a valid protobuf message: " + e.getMessage(), e);
        }
        return p;
    }

    static Proto parse(byte[] bytes, String what) throws IOException {
        return parse(ByteString.copyFrom(bytes), what);
    }

    boolean has(int field) {
        return fields.containsKey(field);
    }

    private List<Object> all(int field) {
        return fields.getOrDefault(field, List.of());
    }

    private ByteString bytesOf(Object v, int field) throws IOException {
        if (v instanceof ByteString b) {
            return b;
        }
        throw new IOException(what + ": field " + field + " has the wrong wire type; expected bytes");
    }

    /** Sub-messages in field {@code field}. */
    List<Proto> messages(int field, String name) throws IOException {
        List<Proto> out = new ArrayList<>();
        for (Object v : all(field)) {
            out.add(parse(bytesOf(v, field), what + "." + name));
        }
        return out;
    }

    /** The (last) sub-message in {@code field}, or null. */
    Proto message(int field, String name) throws IOException {
        List<Object> v = all(field);
        return v.isEmpty() ? null : parse(bytesOf(v.get(v.size() - 1), field), what + "." + name);
    }

    List<String> strings(int field) throws IOException {
        List<String> out = new ArrayList<>();
        for (Object v : all(field)) {
            out.add(bytesOf(v, field).toStringUtf8());
        }
        return out;
    }

    String string(int field, String fallback) throws IOException {
        List<String> s = strings(field);
        return s.isEmpty() ? fallback : s.get(s.size() - 1);
    }

    byte[] bytes(int field) throws IOException {
        List<Object> v = all(field);
        return v.isEmpty() ? null : bytesOf(v.get(v.size() - 1), field).toByteArray();
    }

    /** Integer values of a varint field, packed or not. */
    List<Long> longs(int field) throws IOException {
        List<Long> out = new ArrayList<>();
        for (Object v : all(field)) {
            if (v instanceof Long l) {
                out.add(l);
            } else if (v instanceof ByteString b) {
                CodedInputStream in = b.newCodedInput();
                while (!in.isAtEnd()) {
                    out.add(in.readInt64());
                }
            } else {
                throw new IOException(what + ": field " + field + " has the wrong wire type; expected integers");
            }
        }
        return out;
    }

    long longValue(int field, long fallback) throws IOException {
        List<Long> v = longs(field);
        return v.isEmpty() ? fallback : v.get(v.size() - 1);
    }

    boolean bool(int field, boolean fallback) throws IOException {
        return longValue(field, fallback ? 1 : 0) != 0;
    }

    /** Float values of a fixed32 field, packed or not. */
    float[] floats(int field) throws IOException {
        List<Float> out = new ArrayList<>();
        for (Object v : all(field)) {
            if (v instanceof Integer i) {
                out.add(Float.intBitsToFloat(i));
            } else if (v instanceof ByteString b) {
                if (b.size() % 4 != 0) {
                    throw new IOException(what + ": packed floats in field " + field + " are " + b.size() + " bytes; expected a multiple of 4");
                }
                ByteBuffer buf = b.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (buf.hasRemaining()) {
                    out.add(buf.getFloat());
                }
            } else {
                throw new IOException(what + ": field " + field + " has the wrong wire type; expected floats");
            }
        }
        float[] f = new float[out.size()];
        for (int i = 0; i < f.length; i++) {
            f[i] = out.get(i);
        }
        return f;
    }

    float floatValue(int field, float fallback) throws IOException {
        float[] f = floats(field);
        return f.length == 0 ? fallback : f[f.length - 1];
    }

    /** Double values of a fixed64 field, packed or not. */
    double[] doubles(int field) throws IOException {
        List<Double> out = new ArrayList<>();
        for (Object v : all(field)) {
            if (v instanceof Fixed64 f) {
                out.add(Double.longBitsToDouble(f.bits()));
            } else if (v instanceof ByteString b) {
                if (b.size() % 8 != 0) {
                    throw new IOException(what + ": packed doubles in field " + field + " are " + b.size() + " bytes; expected a multiple of 8");
                }
                ByteBuffer buf = b.asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                while (buf.hasRemaining()) {
                    out.add(buf.getDouble());
                }
            } else {
                throw new IOException(what + ": field " + field + " has the wrong wire type; expected doubles");
            }
        }
        double[] d = new double[out.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = out.get(i);
        }
        return d;
    }
}
