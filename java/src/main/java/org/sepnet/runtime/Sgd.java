package org.sepnet.runtime;

import java.util.List;

/**
 * Stochastic gradient descent with momentum and weight decay on a {@link TrainingGraph}'s
 * parameters, in double on their master copies: per trainable array, g' = g + λ·w where the array
 * decays, v = μ·v + g', w = w − η·v (PyTorch's form: the velocity does not carry the learning rate,
 * so a schedule's change of η takes effect at once). Decayed, as the authors' Caffe settings do for
 * weights ({@code decay_mult} 0 on biases): the convolution, 1×1 and fully connected weights; not the
 * biases, batch norm's γ and β, or the pattern layers' α (a per-filter scale, like γ). Frozen arrays
 * and pattern signs are left alone. Deterministic: the same gradients give the same bits.
 */
public final class Sgd {
    private final List<Parameter> parameters;
    private final double momentum;
    private final double weightDecay;
    private final double[][] velocity;

    /**
     * @param momentum μ in [0, 1)
     * @param weightDecay λ ≥ 0
     */
    public Sgd(List<Parameter> parameters, double momentum, double weightDecay) {
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum " + momentum + "; expected at least 0 and below 1");
        }
        if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
            throw new IllegalArgumentException("weight decay " + weightDecay + "; expected a finite value of at least 0");
        }
        this.parameters = List.copyOf(parameters);
        this.momentum = momentum;
        this.weightDecay = weightDecay;
        this.velocity = new double[this.parameters.size()][];
    }

    /** Whether weight decay applies to {@code p}: weights of convolutions, 1×1 branches and fully connected layers. */
    public static boolean decays(Parameter p) {
        return p.kind().equals("weights") || p.kind().equals("pointwise");
    }

    /** One update with learning rate η from the gradients of the last step. */
    public void step(double learningRate) {
        if (!(learningRate >= 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learning rate " + learningRate + "; expected a finite value of at least 0");
        }
        for (int k = 0; k < parameters.size(); k++) {
            Parameter p = parameters.get(k);
            if (!p.trainable()) {
                continue;
            }
            double[] w = p.value();
            double[] g = p.grad();
            double[] v = velocity[k] == null ? velocity[k] = new double[w.length] : velocity[k];
            double decay = decays(p) ? weightDecay : 0;
            for (int i = 0; i < w.length; i++) {
                v[i] = momentum * v[i] + g[i] + decay * w[i];
                w[i] -= learningRate * v[i];
            }
        }
    }

    /** The velocity of parameter {@code k} (null before its first update), live: a checkpoint saves it. */
    public double[] velocity(int k) {
        return velocity[k];
    }

    /** Restores parameter {@code k}'s velocity (a checkpoint's), copied. */
    public void setVelocity(int k, double[] v) {
        if (v != null && v.length != parameters.get(k).value().length) {
            throw new IllegalArgumentException(parameters.get(k).name() + ": velocity of " + v.length + " values; expected "
                    + parameters.get(k).value().length);
        }
        velocity[k] = v == null ? null : v.clone();
    }
}
