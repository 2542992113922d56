package org.sepnet.testing;

import java.util.List;
import java.util.SplittableRandom;
import org.sepnet.ops.BatchNormParams;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.Shape;

/** Layer problems shared by the backend tests: pooling variants and batch norms with their absolute twins. */
public final class LayerCases {
    private LayerCases() {}

    /** The input of {@link #poolings()}. */
    public static final Shape POOL_INPUT = Shape.nchw(2, 5, 9, 8);

    /** Max and average pooling with padding, ceil mode, padding excluded from the average, and global pooling. */
    public static List<PoolDesc> poolings() {
        return List.of(PoolDesc.max(2, 5, 9, 8, 3, 2, 1), PoolDesc.max(2, 5, 9, 8, 3, 2, 0).withCeilMode(),
                PoolDesc.avg(2, 5, 9, 8, 3, 2, 1), PoolDesc.avg(2, 5, 9, 8, 3, 1, 1).excludingPadding(),
                PoolDesc.avg(2, 5, 9, 8, 2, 2, 0).withCeilMode(), PoolDesc.global(PoolDesc.Kind.AVG, 2, 5, 9, 8),
                PoolDesc.global(PoolDesc.Kind.MAX, 2, 5, 9, 8));
    }

    /** Batch norm parameters and their absolute twin (the bound's S), drawn for {@code shape}. */
    public record BatchNorm(Shape shape, BatchNormParams params, BatchNormParams absolute) {}

    /** Shapes [2, 33, 5, 7] and [3, 10]; parameters drawn from the seed stream {@code prefix + shape}. */
    public static List<BatchNorm> batchNorms(String prefix) {
        return List.of(batchNorm(prefix, Shape.nchw(2, 33, 5, 7)), batchNorm(prefix, Shape.of(3, 10)));
    }

    private static BatchNorm batchNorm(String prefix, Shape shape) {
        int c = shape.dim(1);
        SplittableRandom r = new SplittableRandom(Seeds.of(prefix + shape));
        float[] gamma = Data.uniform(c, r);
        float[] beta = Data.uniform(c, r);
        float[] mean = Data.uniform(c, r);
        float[] var = Data.abs(Data.uniform(c, r));
        BatchNormParams p = new BatchNormParams(gamma, beta, mean, var, 1e-3f);
        // |scale·x + shift| <= |scale|·|x| + |beta| + |mean·scale|: the absolute twin.
        double[] scale = p.scale();
        float[] absBeta = new float[c];
        for (int i = 0; i < c; i++) {
            absBeta[i] = (float) (Math.abs(beta[i]) + Math.abs(mean[i] * scale[i]));
        }
        return new BatchNorm(shape, p, new BatchNormParams(Data.abs(gamma), absBeta, new float[c], var, 1e-3f));
    }
}
