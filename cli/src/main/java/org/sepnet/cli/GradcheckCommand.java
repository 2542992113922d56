package org.sepnet.cli;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.sepnet.backend.Backend;
import org.sepnet.backend.reference.ReferenceBackend;
import org.sepnet.models.Model;
import org.sepnet.runtime.Agreement;
import org.sepnet.runtime.FiniteDifference;
import org.sepnet.runtime.Parameter;
import org.sepnet.runtime.TrainingGraph;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code sepnet gradcheck MODEL}: one forward and backward pass on random images and labels; with
 * a backend other than the reference, every parameter's and the input's gradient against the
 * reference twins' (whole arrays, {@link Agreement}'s bound); and the reference's gradients against
 * central finite differences of the loss on a sample of coordinates.
 */
@Command(name = "gradcheck", mixinStandardHelpOptions = true,
        description = "Check a model's gradients: one training step on random images; each parameter's and the input's gradient "
                + "on the backend against the reference's (whole arrays), and the reference's against central finite differences "
                + "of the loss on a few coordinates each. Prints one row per check and exits 1 on any failure.")
final class GradcheckCommand extends FileCommand {
    /** Agreement bound of {@link FiniteDifference}: see docs/training.md. */
    private static final double BOUND = 1e-4;

    @Mixin
    ModelOptions options;

    @Option(names = "--backend", paramLabel = "NAME", defaultValue = ReferenceBackend.NAME,
            description = "Backend whose gradients are checked against the reference's (default: ${DEFAULT-VALUE}: finite "
                    + "differences only).")
    String backend;

    @Option(names = "--batch", defaultValue = "2", description = "Images per step (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--samples", defaultValue = "2", description = "Coordinates checked per array (default: ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--json", description = "One JSON object: model, backend, ok, checks [{layer, type, param, against, max_err, "
            + "bound, ok, undecided}].")
    boolean json;

    /** One array checked against the reference's gradient or against finite differences. */
    private record Check(String layer, String type, String param, String against, double maxErr, double bound, boolean ok,
                         int undecided) {}

    @Override
    int run() throws IOException {
        Backend b = org.sepnet.backend.Backends.byName(backend);  // an unknown name: its own message
        if (!b.availability().available()) {
            throw new IllegalArgumentException("--backend " + backend + " is unavailable here: " + b.availability().detail());
        }
        if (batch < 1 || batch > 64) {
            throw new IllegalArgumentException("--batch " + batch + "; expected 1 to 64");
        }
        if (samples < 1 || samples > 1000) {
            throw new IllegalArgumentException("--samples " + samples + "; expected 1 to 1000");
        }
        Model m = options.build();
        TrainingGraph g = TrainingGraph.build(m.graph(), m.input());
        SplittableRandom r = new SplittableRandom(options.seed);
        double[] x = new double[(int) (batch * m.input().size())];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);  // values a float holds: every backend sees the same images
        }
        int classes = (int) g.outputShape().size();
        int[] labels = new int[batch];
        for (int n = 0; n < batch; n++) {
            labels[n] = r.nextInt(classes);
        }
        List<Check> checks = new ArrayList<>();
        Map<String, String> types = new LinkedHashMap<>();
        m.graph().leaves().forEach(l -> types.put(l.name(), l.type()));
        if (!b.name().equals(ReferenceBackend.NAME)) {
            // The reference takes the backend's ReLU decisions: rounding at the kinks would otherwise move whole channels.
            try (TrainingGraph other = TrainingGraph.build(m.graph(), m.input(), b, batch)) {
                other.stepRecording(x, labels, batch);
                g.stepFollowing(other, x, labels, batch);
                checks.add(compare("input", "input", "x", other.inputGradient(), g.inputGradient(), null));
                for (int i = 0; i < g.parameters().size(); i++) {
                    Parameter p = g.parameters().get(i);
                    if (p.grad() != null) {
                        checks.add(compare(p.layer(), types.getOrDefault(p.layer(), "?"), p.kind(), other.parameters().get(i).grad(),
                                p.grad(), p.magnitude()));
                    }
                }
            }
        }
        g.step(x, labels, batch);
        double[] dx = g.inputGradient();
        checks.add(check("input", "input", "x", x, dx, g, x, labels, r));
        for (Parameter p : g.parameters()) {
            if (p.grad() != null) {
                checks.add(check(p.layer(), types.getOrDefault(p.layer(), "?"), p.kind(), p.value(), p.grad().clone(), g, x, labels, r));
            }
        }
        boolean ok = checks.stream().allMatch(Check::ok);
        if (json) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", m.name());
            out.put("backend", backend);
            out.put("ok", ok);
            List<Map<String, Object>> rows = new ArrayList<>();
            for (Check c : checks) {
                Map<String, Object> row = new LinkedHashMap<>();
                row.put("layer", c.layer());
                row.put("type", c.type());
                row.put("param", c.param());
                row.put("against", c.against());
                row.put("max_err", c.maxErr());
                row.put("bound", c.bound());
                row.put("ok", c.ok());
                row.put("undecided", c.undecided());
                rows.add(row);
            }
            out.put("checks", rows);
            System.out.println(Json.of(out));
        } else {
            System.out.printf("%s on %s: batch %d%s; the reference's gradients against central differences on %d coordinates per"
                    + " array%n%n", m.name(), backend, batch, b.name().equals(ReferenceBackend.NAME) ? ""
                    : "; every gradient against the reference's (error relative to its largest value)", samples);
            Table t = new Table("layer", "type", "param", "against", "max error", "bound", "ok");
            for (Check c : checks) {
                t.row(c.layer(), c.type(), c.param(), c.against(), String.format("%.2e", c.maxErr()), String.format("%.2e", c.bound()),
                        !c.ok() ? "FAILED" : c.undecided() > 0 ? "ok (" + c.undecided() + " undecided)" : "ok");
            }
            t.print(System.out);
            System.out.println();
            int undecided = checks.stream().mapToInt(Check::undecided).sum();
            System.out.println((ok ? "all " + checks.size() + " gradients agree" : checks.stream().filter(c -> !c.ok()).count()
                    + " of " + checks.size() + " gradients FAILED") + (undecided == 0 ? "" : "; " + undecided
                    + " coordinates undecided (the loss bends within every finite-difference step there)"));
        }
        return ok ? 0 : 1;
    }

    /** The largest error over the sampled coordinates that the differences decide (FiniteDifference). */
    private Check check(String layer, String type, String param, double[] value, double[] analytic, TrainingGraph g, double[] x,
                        int[] labels, SplittableRandom r) {
        double worst = 0;
        boolean ok = true;
        int undecided = 0;
        for (int k = 0; k < Math.min(samples, value.length); k++) {
            int i = value.length <= samples ? k : r.nextInt(value.length);
            FiniteDifference.Result res = FiniteDifference.check(value, i, analytic[i], () -> g.loss(x, labels, batch), BOUND);
            if (!res.decided()) {
                undecided++;
                continue;
            }
            ok &= res.ok();
            worst = Math.max(worst, res.error());
        }
        return new Check(layer, type, param, "differences", worst, BOUND, ok, undecided);
    }

    private static Check compare(String layer, String type, String param, double[] actual, double[] reference, double[] magnitude) {
        double e = Agreement.NETWORK.error(actual, reference, magnitude);
        return new Check(layer, type, param, ReferenceBackend.NAME, e, Agreement.NETWORK.relative(), e <= Agreement.NETWORK.relative(), 0);
    }
}
