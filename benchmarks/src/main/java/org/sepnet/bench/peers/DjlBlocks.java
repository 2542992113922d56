package org.sepnet.bench.peers;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.Activation;
import ai.djl.nn.Block;
import ai.djl.nn.Blocks;
import ai.djl.nn.LambdaBlock;
import ai.djl.nn.ParallelBlock;
import ai.djl.nn.SequentialBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import ai.djl.nn.pooling.Pool;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;
import org.sepnet.layers.ConvSpec;
import org.sepnet.layers.Layer;
import org.sepnet.layers.Pool2d;
import org.sepnet.layers.Sequential;
import org.sepnet.layers.Softmax;
import org.sepnet.ops.PoolDesc;
import org.sepnet.tensor.ConvWeights;
import org.sepnet.tensor.Shape;

/**
 * Our layer graphs as DJL blocks, for the PyTorch peers: the same layers with the same values (a
 * pattern layer becomes the float convolution α·signs; PyTorch has no frozen-sign layer). Build
 * with {@link #of}, initialize the block for an input shape, then {@link #load()} the values.
 */
final class DjlBlocks {
    private final List<Runnable> loaders = new ArrayList<>();
    final Block block;

    private DjlBlocks(Layer layer, Shape input) {
        this.block = new Converter(loaders).convert(layer, input);
    }

    static DjlBlocks of(Layer layer, Shape input) {
        return new DjlBlocks(layer, input);
    }

    /** Copies our values into the initialized block's parameters. */
    void load() {
        loaders.forEach(Runnable::run);
    }

    /** The layer without a final softmax (the training loss takes the logits). */
    static Layer withoutSoftmax(Layer l) {
        if (l instanceof Sequential s && !s.layers().isEmpty() && s.layers().get(s.layers().size() - 1) instanceof Softmax) {
            return new Sequential(s.name(), s.layers().subList(0, s.layers().size() - 1));
        }
        return l;
    }

    static long[] dims(int batch, Shape input) {
        long[] dims = new long[input.rank() + 1];
        dims[0] = batch;
        for (int i = 0; i < input.rank(); i++) {
            dims[i + 1] = input.dim(i);
        }
        return dims;
    }

    /** Our layers as DJL blocks; each block's values are loaded after initialization (its shapes are known then). */
    private static final class Converter implements Layer.Visitor<Block> {
        private final List<Runnable> loaders;
        private Shape in;

        Converter(List<Runnable> loaders) {
            this.loaders = loaders;
        }

        Block convert(Layer l, Shape input) {
            Shape saved = in;
            in = input;
            Block b = l.accept(this);
            in = saved;
            return b;
        }

        private static ai.djl.ndarray.types.Shape pair(int a, int b) {
            return new ai.djl.ndarray.types.Shape(a, b);
        }

        private Block conv(ConvSpec s, ConvWeights w) {
            Conv2d c = Conv2d.builder().setKernelShape(pair(s.kh(), s.kw())).optStride(pair(s.sh(), s.sw())).optPadding(pair(s.ph(), s.pw()))
                    .optDilation(pair(s.dh(), s.dw())).optGroups(s.groups()).setFilters(s.out()).optBias(w.hasBias()).build();
            loaders.add(() -> {
                load(c, "weight", w.weights());
                if (w.hasBias()) {
                    load(c, "bias", w.bias());
                }
            });
            return c;
        }

        private static void load(Block b, String name, float[] v) {
            b.getParameters().get(name).getArray().set(FloatBuffer.wrap(v));
        }

        @Override
        public Block sequential(Sequential s) {
            SequentialBlock b = new SequentialBlock();
            Shape x = in;
            for (Layer l : s.layers()) {
                b.add(convert(l, x));
                x = l.outputShape(x);
            }
            return b;
        }

        @Override
        public Block residual(org.sepnet.layers.Residual r) {
            Block body = convert(r.body(), in);
            Block shortcut = r.shortcut() == null ? Blocks.identityBlock() : convert(r.shortcut(), in);
            boolean relu = r.relu();
            return new ParallelBlock(list -> {
                NDArray sum = list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow());
                return new NDList(relu ? Activation.relu(sum) : sum);
            }, List.of(body, shortcut));
        }

        @Override
        public Block concat(org.sepnet.layers.Concat c) {
            List<Block> branches = new ArrayList<>();
            for (Layer b : c.branches()) {
                branches.add(convert(b, in));
            }
            return new ParallelBlock(list -> {
                NDList parts = new NDList();
                list.forEach(p -> parts.add(p.singletonOrThrow()));
                return new NDList(NDArrays.concat(parts, 1));
            }, branches);
        }

        @Override
        public Block conv(org.sepnet.layers.Conv2d c) {
            return conv(c.spec(), c.weights());
        }

        @Override
        public Block patternConv(org.sepnet.layers.PatternConv2d p) {
            return conv(p.spec(), p.weights().toConvWeights());
        }

        @Override
        public Block block(org.sepnet.layers.PatternResidualBlock b) {
            ConvWeights k = b.isBinarized() ? b.pattern().toConvWeights() : b.floatKernel();
            return new ParallelBlock(list -> new NDList(list.get(0).singletonOrThrow().add(list.get(1).singletonOrThrow())),
                    List.of(conv(b.spec(), k), conv(b.pointwiseSpec(), b.pointwise())));
        }

        @Override
        public Block batchNorm(org.sepnet.layers.BatchNorm bn) {
            var p = bn.params();
            BatchNorm b = BatchNorm.builder().optEpsilon(p.epsilon()).optMomentum(0.9f).build();
            loaders.add(() -> {
                load(b, "gamma", p.gamma());
                load(b, "beta", p.beta());
                load(b, "runningMean", p.mean());
                load(b, "runningVar", p.variance());
            });
            return b;
        }

        @Override
        public Block relu(org.sepnet.layers.Relu r) {
            return Activation.reluBlock();
        }

        @Override
        public Block pool(Pool2d p) {
            PoolDesc d = p.desc(1, in);
            if (p.isGlobal()) {
                return p.kind() == PoolDesc.Kind.MAX ? Pool.globalMaxPool2dBlock() : Pool.globalAvgPool2dBlock();
            }
            ai.djl.ndarray.types.Shape k = pair(d.kernelHeight(), d.kernelWidth());
            ai.djl.ndarray.types.Shape s = pair(d.strideHeight(), d.strideWidth());
            ai.djl.ndarray.types.Shape pad = pair(d.padHeight(), d.padWidth());
            return p.kind() == PoolDesc.Kind.MAX ? Pool.maxPool2dBlock(k, s, pad, d.ceilMode())
                    : Pool.avgPool2dBlock(k, s, pad, d.ceilMode(), d.countIncludePad());
        }

        @Override
        public Block linear(org.sepnet.layers.Linear f) {
            Linear l = Linear.builder().setUnits(f.out()).optBias(f.weights().hasBias()).build();
            loaders.add(() -> {
                load(l, "weight", f.weights().weights());
                if (f.weights().hasBias()) {
                    load(l, "bias", f.weights().bias());
                }
            });
            return in.rank() > 1 ? new SequentialBlock().add(Blocks.batchFlattenBlock()).add(l) : l;
        }

        @Override
        public Block softmax(Softmax s) {
            return new LambdaBlock(list -> new NDList(list.singletonOrThrow().softmax(-1)));
        }
    }
}
