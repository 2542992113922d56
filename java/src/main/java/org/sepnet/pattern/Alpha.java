package org.sepnet.pattern;

/**
 * How the binarizer picks the scale α of each binarized filter.
 *
 * <ul>
 *   <li>{@link #perFilter()} (default): α_o = Σ|W_o| / (c·k·k), the value that minimises
 *       ‖W_o − α_o·B_o‖² for B_o = sign(W_o).</li>
 *   <li>{@link #global(float)}: one fixed α for every filter of the network, as the SEP-Nets
 *       authors' scripts did (their "offset", tuned over 0.02…0.09; 0.09 for ResNet-20).</li>
 * </ul>
 */
public sealed interface Alpha {
    /** α = mean |W| of each output filter. */
    static Alpha perFilter() {
        return PerFilter.INSTANCE;
    }

    /** The same α for every filter; must be positive and finite. */
    static Alpha global(float value) {
        return new Global(value);
    }

    /**
     * Parses {@code per-filter} or {@code global:X} (for example {@code global:0.09}).
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    static Alpha parse(String text) {
        if (text.equals("per-filter")) {
            return perFilter();
        }
        if (text.startsWith("global:")) {
            try {
                return global(Float.parseFloat(text.substring("global:".length())));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("alpha '" + text + "': '" + text.substring(7) + "' is not a number; expected global:X, e.g. global:0.09");
            }
        }
        throw new IllegalArgumentException("alpha '" + text + "' is not recognised; expected per-filter or global:X (e.g. global:0.09)");
    }

    /** α = mean |W_o| per output filter. */
    final class PerFilter implements Alpha {
        static final PerFilter INSTANCE = new PerFilter();

        private PerFilter() {}

        @Override
        public String toString() {
            return "per-filter";
        }
    }

    /** One α for all filters. */
    record Global(float value) implements Alpha {
        public Global {
            if (!(value > 0) || !Float.isFinite(value)) {
                throw new IllegalArgumentException("global alpha is " + value + "; expected a positive finite value");
            }
        }

        @Override
        public String toString() {
            return "global:" + value;
        }
    }
}
