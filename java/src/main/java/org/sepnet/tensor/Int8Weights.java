package org.sepnet.tensor;

/**
 * Linear 8-bit quantization of {@link ConvWeights}: symmetric, per output channel. For output
 * channel o, scale s_o = max|W_o| / 127 and q = round(W / s_o) ∈ [−127, 127]; the weights used for
 * computing are s_o · q. A channel of zeros gets scale 0. The bias stays float32.
 */
public final class Int8Weights {
    private final ConvWeights shape;
    private final byte[] q;
    private final float[] scales;

    private Int8Weights(ConvWeights shape, byte[] q, float[] scales) {
        this.shape = shape;
        this.q = q;
        this.scales = scales;
    }

    /** Quantizes {@code w}. */
    public static Int8Weights quantize(ConvWeights w) {
        int o = w.outChannels();
        int n = w.filterSize();
        float[] values = w.weights();
        byte[] q = new byte[values.length];
        float[] scales = new float[o];
        for (int f = 0; f < o; f++) {
            float max = 0;
            for (int i = 0; i < n; i++) {
                max = Math.max(max, Math.abs(values[f * n + i]));
            }
            float s = max / 127f;
            scales[f] = s;
            for (int i = 0; i < n; i++) {
                q[f * n + i] = s == 0 ? 0 : (byte) Math.max(-127, Math.min(127, Math.round(values[f * n + i] / s)));
            }
        }
        return new Int8Weights(w, q, scales);
    }

    /** Rebuilds quantized weights from stored values (e.g. a file); validates them. */
    public static Int8Weights of(int outChannels, int inChannelsPerGroup, int kh, int kw, byte[] q, float[] scales, float[] bias) {
        long n = (long) outChannels * inChannelsPerGroup * kh * kw;
        if (q.length != n || scales.length != outChannels) {
            throw new IllegalArgumentException("int8 weights have " + q.length + " values and " + scales.length
                    + " scales; expected " + n + " and " + outChannels);
        }
        for (int i = 0; i < scales.length; i++) {
            if (!(scales[i] >= 0) || !Float.isFinite(scales[i])) {
                throw new IllegalArgumentException("int8 scale[" + i + "] is " + scales[i] + "; expected a finite value >= 0");
            }
        }
        for (byte v : q) {
            if (v == Byte.MIN_VALUE) {
                throw new IllegalArgumentException("int8 weight -128 is outside the symmetric range [-127, 127]");
            }
        }
        ConvWeights shape = dequantize(outChannels, inChannelsPerGroup, kh, kw, q, scales, bias);
        return new Int8Weights(shape, q.clone(), scales.clone());
    }

    private static ConvWeights dequantize(int o, int c, int kh, int kw, byte[] q, float[] scales, float[] bias) {
        int n = c * kh * kw;
        float[] w = new float[q.length];
        for (int f = 0; f < o; f++) {
            for (int i = 0; i < n; i++) {
                w[f * n + i] = scales[f] * q[f * n + i];
            }
        }
        return new ConvWeights(o, c, kh, kw, w, bias);
    }

    /** The weights computation uses: s_o · q, with the original bias. */
    public ConvWeights dequantized() {
        return dequantize(shape.outChannels(), shape.inChannelsPerGroup(), shape.kh(), shape.kw(), q, scales, shape.bias());
    }

    /** Quantized values, OIHW (a copy). */
    public byte[] values() {
        return q.clone();
    }

    /** Per-output-channel scales (a copy). */
    public float[] scales() {
        return scales.clone();
    }

    /** Bytes as stored: one per weight, 4 per scale, 4 per bias value. */
    public long bytes() {
        return q.length + 4L * scales.length + (shape.hasBias() ? 4L * shape.outChannels() : 0);
    }
}
