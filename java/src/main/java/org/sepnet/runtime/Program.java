package org.sepnet.runtime;

import java.util.ArrayList;
import java.util.List;

/**
 * What a compiled network runs: its steps in order, the ops and tensors it owns, and one plan line
 * per op (the layer it came from, its implementation and problem).
 */
final class Program implements AutoCloseable {
    /** A step of the forward pass at a batch size. */
    @FunctionalInterface
    interface Step {
        void run(int batch);
    }

    final List<Step> steps = new ArrayList<>();
    final List<String> stepLines = new ArrayList<>();  // the plan line of each step's op
    final List<String> plan = new ArrayList<>();
    private final List<AutoCloseable> owned = new ArrayList<>();

    /** Takes ownership of {@code resource}: closed with the program, last first. */
    <T extends AutoCloseable> T own(T resource) {
        owned.add(resource);
        return resource;
    }

    /** Adds a plan line for an op the program owns. */
    void planned(String line) {
        plan.add(line);
    }

    /** Adds a step running the op planned last (its plan line labels the step in a profile). */
    void step(Step step) {
        steps.add(step);
        stepLines.add(plan.get(plan.size() - 1));
    }

    @Override
    public void close() {
        for (int i = owned.size() - 1; i >= 0; i--) {
            try {
                owned.get(i).close();
            } catch (Exception e) {
                // Best effort: keep closing the rest.
            }
        }
        owned.clear();
    }
}
