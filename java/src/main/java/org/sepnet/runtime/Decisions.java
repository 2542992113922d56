package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * The ReLU decisions of a training graph's forward pass (which activations pass), recorded on one
 * graph and replayed on another. A float backend and the double reference disagree about an
 * activation within rounding of zero; one such flip moves a channel's gradients by one term in
 * batch × positions (about 1% at batch 2 on an 8×8 map) and spreads to every earlier layer, so a
 * network's gradients can only be compared tightly when both sides take the same decisions.
 * Shared by the nodes of one graph; off unless a comparison asks for it.
 */
final class Decisions {
    enum Mode {
        OFF, RECORD, REPLAY
    }

    private Mode mode = Mode.OFF;
    private List<boolean[]> masks = new ArrayList<>();
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

    void replay(List<boolean[]> from) {
        mode = Mode.REPLAY;
        masks = from;
        recorded = false;
        next = 0;
    }

    void off() {
        mode = Mode.OFF;
    }

    List<boolean[]> recorded() {
        return masks;
    }

    void add(boolean[] mask) {
        masks.add(mask);
    }

    boolean[] take(long count) {
        if (next >= masks.size() || masks.get(next).length != count) {
            throw new IllegalStateException("the recorded decisions do not match this graph's ReLUs (decision " + next + " of "
                    + masks.size() + "); replay them on a graph of the same model, input and batch");
        }
        return masks.get(next++);
    }
}
