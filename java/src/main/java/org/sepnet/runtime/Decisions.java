package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The decisions of a training graph's forward pass at its kinks, recorded on one graph and replayed
 * on another: which activations each ReLU passes (boolean[]) and which input each max-pooling
 * window takes (int[], flat indices). A float backend and the double reference disagree about an
 * activation within rounding of zero, or about the larger of two nearly equal values; one such flip
 * moves a channel's gradients by one term in batch × positions (about 1% at batch 2 on an 8×8 map)
 * and spreads to every earlier layer, so a network's gradients can only be compared tightly when
 * both sides take the same decisions. Shared by the nodes of one graph; off unless a comparison
 * asks for it.
 */
final class Decisions {
    enum Mode {
        OFF, RECORD, REPLAY
    }

    private Mode mode = Mode.OFF;
    private List<Object> masks = new ArrayList<>();
    private boolean recorded;
    private int next;

    Mode mode() {
        return mode;
    }

    boolean active() {
        return mode != Mode.OFF;
    }

    void record() {
        mode = Mode.RECORD;
        masks = new ArrayList<>();
        recorded = true;
    }

    /** Whether a recording pass ran (its masks are kept until the next one). */
    boolean hasRecording() {
        return recorded;
    }

    void replay(List<Object> from) {
        mode = Mode.REPLAY;
        masks = from;
        recorded = false;
        next = 0;
    }

    void off() {
        mode = Mode.OFF;
    }

    List<Object> recorded() {
        return masks;
    }

    void add(Object decision) {
        masks.add(decision);
    }

    /** The next ReLU's mask. */
    boolean[] take(long count) {
        return next(boolean[].class, count);
    }

    /** The next max pooling's chosen inputs. */
    int[] takeArgmax(long count) {
        return next(int[].class, count);
    }

    private <T> T next(Class<T> kind, long count) {
        Object o = next < masks.size() ? masks.get(next) : null;
        if (!kind.isInstance(o) || java.lang.reflect.Array.getLength(o) != count) {
            throw new IllegalStateException("the recorded decisions do not match this graph's ReLUs and max poolings (decision " + next
                    + " of " + masks.size() + "); replay them on a graph of the same model, input and batch");
        }
        next++;
        return kind.cast(o);
    }
}
