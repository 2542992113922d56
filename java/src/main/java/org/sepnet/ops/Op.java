package org.sepnet.ops;

/**
 * An op instance built by a backend for one descriptor: weights packed (and uploaded) once,
 * {@code run} allocates nothing. Closing releases the backend resources it holds.
 */
public interface Op extends AutoCloseable {
    /** The canonical problem string of its descriptor, e.g. {@code n1_g4_ic64oc128_ih28iw28_kh3kw3_sh1sw1_ph1pw1}. */
    String problem();

    /** Which implementation runs it, e.g. {@code reference} or {@code native:pattern_conv_xor_avx512}. */
    String implementation();

    /**
     * Why the backend chose that implementation where it chooses among several (the native
     * convolutions: {@code auto: 5x5} or {@code forced: xor}), else empty.
     */
    default String reason() {
        return "";
    }

    /** Releases backend resources; idempotent. */
    @Override
    void close();
}
