package org.sepnet.cli;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.sepnet.data.DataSet;
import org.sepnet.data.Evaluation;
import org.sepnet.data.ImageSet;
import org.sepnet.models.Model;
import org.sepnet.train.Evaluator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sepnet eval MODEL --data D}. */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Classify a split of a data set with a model (compiled for inference, images prepared with the normalization "
                + "stored in the model) and print top-1, top-5, per-class accuracy and the confusion matrix.")
final class EvalCommand extends FileCommand {
    @Parameters(index = "0", paramLabel = "MODEL", description = "A trained model file (.sepnet, or .onnx/.caffemodel) or a zoo model.")
    String model;

    @Option(names = "--data", required = true, paramLabel = "D",
            description = "fashion-mnist (Debian's dataset-fashion-mnist package), or a directory of IDX files, CIFAR-10 binary batches or .npy image/label pairs.")
    String data;

    @Option(names = "--split", defaultValue = "test", paramLabel = "test|train", description = "Which split (default: ${DEFAULT-VALUE}).")
    String split;

    @Option(names = "--limit", paramLabel = "N", description = "Only the first N images of the split.")
    Integer limit;

    @Option(names = "--batch", defaultValue = "128", paramLabel = "B", description = "Images per forward pass (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--json", description = "One JSON object: model, data, images, top1, top5, per_class (by class name; null for a "
            + "class without images), backend.")
    boolean json;

    @Mixin
    BackendOption backend;

    @Override
    int run() throws IOException {
        Sources.batch(batch);
        if (limit != null && limit < 1) {
            throw new IllegalArgumentException("--limit " + limit + "; expected at least 1");
        }
        if (!split.equals("test") && !split.equals("train")) {
            throw new IllegalArgumentException("--split " + split + "; expected test or train");
        }
        DataSet d = DataSet.open(data);
        ImageSet set = d.split(split);
        if (limit != null) {
            set = set.limit(limit);
        }
        Model m = Sources.forData(model, 1, set.imageShape(), set.classes());
        Evaluator.check(m, set);
        BackendOption.Choice choice = backend.choose();
        if (m.normalization() == null && !json) {
            System.err.println("sepnet eval: " + m.name() + " stores no normalization; its input is pixel/255 as is");
        }
        Evaluation e = Evaluator.evaluate(m, set, choice.backend(), batch);
        List<String> names = m.labels().isEmpty() ? d.labels() : m.labels();
        double[] perClass = e.perClass();
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model);
            out.put("data", data + ":" + split);
            out.put("images", e.images());
            out.put("top1", e.top1());
            out.put("top5", e.top5());
            Map<String, Double> pc = new LinkedHashMap<>();
            for (int c = 0; c < set.classes(); c++) {
                pc.put(name(names, c), Double.isNaN(perClass[c]) ? null : perClass[c]);  // null: no image of the class
            }
            out.put("per_class", pc);
            out.put("backend", choice.backend().name());
            System.out.println(Json.of(out));
            return 0;
        }
        System.out.printf("%s on %s (%s split, %,d images), %s backend%n", m.name(), data, split, e.images(), choice.backend().name());
        System.out.printf("top-1 %.4f, top-5 %.4f%s%n", e.top1(), e.top5(),
                e.unpredicted() > 0 ? String.format(" (%,d images with only NaN scores)", e.unpredicted()) : "");
        System.out.println();
        long[][] confusion = e.confusion();
        String[] header = new String[set.classes() + 3];
        header[0] = "class";
        header[1] = "images";
        header[2] = "top-1";
        for (int c = 0; c < set.classes(); c++) {
            header[c + 3] = String.valueOf(c);
        }
        Table t = new Table(header);
        for (int c = 0; c < set.classes(); c++) {
            Object[] row = new Object[set.classes() + 3];
            row[0] = c + " " + name(names, c);
            long images = 0;
            for (long v : confusion[c]) {
                images += v;
            }
            row[1] = images;
            row[2] = String.format("%.4f", perClass[c]);
            for (int k = 0; k < set.classes(); k++) {
                row[k + 3] = confusion[c][k];
            }
            t.row(row);
        }
        t.print(System.out);
        System.out.println("(rows: true class; columns: predicted class)");
        return 0;
    }

    private static String name(List<String> names, int c) {
        return c < names.size() ? names.get(c) : String.valueOf(c);
    }
}
