package org.sepnet.bench;

import org.sepnet.ops.ConvDesc;
import org.sepnet.ops.PrbDesc;

/**
 * One benchmarked op on one shape, written {@code op:problem}: {@code pattern:n1_g1_ic16oc16_…}
 * (binarized k×k convolution), {@code conv:…} (float convolution: 1×1, group or depthwise) or
 * {@code prb:…_prb_pwg1} (fused pattern residual block), with the library's canonical problem strings.
 *
 * @param op pattern, conv or prb
 * @param conv the convolution (for prb: its k×k branch)
 * @param prb the block, for prb only
 */
public record Case(String op, ConvDesc conv, PrbDesc prb) {
    /** Parses {@code op:problem}. */
    public static Case parse(String s) {
        int colon = s.indexOf(':');
        if (colon < 0) {
            throw new IllegalArgumentException("benchmark case '" + s + "'; expected op:problem, e.g. pattern:n1_g1_ic16oc16_ih32iw32_kh3kw3_sh1sw1_ph1pw1");
        }
        String op = s.substring(0, colon);
        String problem = s.substring(colon + 1);
        switch (op) {
            case "pattern", "conv" -> {
                return new Case(op, ConvDesc.parse(problem), null);
            }
            case "prb" -> {
                int at = problem.lastIndexOf("_prb_pwg");
                if (at < 0) {
                    throw new IllegalArgumentException("prb case '" + s + "'; expected a problem ending in _prb_pwg<groups of the 1x1>");
                }
                ConvDesc k = ConvDesc.parse(problem.substring(0, at));
                return new Case(op, k, PrbDesc.of(k, Integer.parseInt(problem.substring(at + 8))));
            }
            default -> throw new IllegalArgumentException("benchmark op '" + op + "'; expected pattern, conv or prb");
        }
    }

    /** The canonical problem string. */
    public String problem() {
        return prb != null ? prb.problem() : conv.problem();
    }

    /** Multiply-accumulates (equivalents, for binarized ops) of one run at the full batch. */
    public long macs() {
        return prb != null ? prb.macs() : conv.macs();
    }

    /** Batch size. */
    public int batch() {
        return conv.batch();
    }

    @Override
    public String toString() {
        return op + ":" + problem();
    }
}
