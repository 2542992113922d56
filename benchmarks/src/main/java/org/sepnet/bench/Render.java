package org.sepnet.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.StandardCategoryItemLabelGenerator;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.category.DefaultCategoryDataset;

/**
 * Turns JMH JSON results ({@code -rf json}) into a markdown report and one PNG chart per
 * benchmark class. Rows are parameter combinations without {@code runtime} (called {@code impl} in
 * older results); each implementation's
 * time is shown with JMH's error, a derived unit (GFLOP/s-equivalent for a {@code problem},
 * images/s for a {@code batch} of a network), and its speed-up against the baseline implementation
 * measured in the same run ({@code onnxruntime}; for training steps {@code pytorch}; {@code cudnn_fp32} on a GPU; for whole networks on a
 * GPU machine {@code native}): baseline time / time. The charts show those speed-ups against the
 * baseline with their values, without the Java reference (its ratios are in the tables).
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar org.sepnet.bench.Render --out benchmarks/results/DATE-cpu \
 *     --title "…" --commit abc1234 --command "benchmarks/run.sh --quick" results1.json results2.json
 * </pre>
 */
public final class Render {
    /** The parameter naming the implementation, and its earlier name. */
    static final List<String> RUNTIME_PARAMS = List.of("runtime", "impl");

    /** Baseline implementations, first present wins. */
    static final List<String> BASELINES = List.of("onnxruntime", "pytorch", "cudnn_fp32", "native");

    /** One JMH result. */
    record Result(String benchmark, Map<String, String> params, double micros, double errorMicros, JsonObject raw) {}

    private Render() {}

    /** Reads every result of a JMH JSON file. */
    static List<Result> read(Path json) throws IOException {
        JsonElement root = JsonParser.parseString(Files.readString(json, StandardCharsets.UTF_8));
        if (!root.isJsonArray()) {
            throw new IOException(json + ": expected JMH's JSON result array");
        }
        List<Result> out = new ArrayList<>();
        for (JsonElement e : (JsonArray) root) {
            JsonObject o = e.getAsJsonObject();
            String bench = o.get("benchmark").getAsString();
            String[] parts = bench.split("\\.");
            String cls = parts.length >= 2 ? parts[parts.length - 2] : bench;
            Map<String, String> params = new LinkedHashMap<>();
            if (o.has("params")) {
                for (Map.Entry<String, JsonElement> p : o.getAsJsonObject("params").entrySet()) {
                    params.put(p.getKey(), p.getValue().getAsString());
                }
            }
            JsonObject m = o.getAsJsonObject("primaryMetric");
            double scale = toMicros(m.get("scoreUnit").getAsString(), json);
            out.add(new Result(cls, params, number(m.get("score")) * scale, number(m.get("scoreError")) * scale, o));
        }
        return out;
    }

    private static double number(JsonElement e) {
        if (e == null || e.isJsonNull()) {
            return Double.NaN;
        }
        String s = e.getAsString();
        return s.equals("NaN") ? Double.NaN : Double.parseDouble(s);
    }

    private static double toMicros(String unit, Path json) throws IOException {
        return switch (unit) {
            case "ns/op" -> 1e-3;
            case "us/op" -> 1;
            case "ms/op" -> 1e3;
            case "s/op" -> 1e6;
            default -> throw new IOException(json + ": score unit " + unit + "; expected average time (ns/op, us/op, ms/op or s/op)");
        };
    }

    /**
     * Report metadata. {@code peakGflops}: the machine's measured multiply-add peak for the rates'
     * shares, or NaN for none.
     */
    record Info(String title, String date, String machine, String commit, String command, double peakGflops) {
        Info(String title, String date, String machine, String commit, String command) {
            this(title, date, machine, commit, command, Double.NaN);
        }
    }

    /** Rows of one benchmark class: parameter combination (without the runtime) → runtime → result. */
    static Map<String, Map<String, Result>> table(List<Result> results, String benchmark) {
        Map<String, Map<String, Result>> rows = new LinkedHashMap<>();
        for (Result r : results) {
            if (!r.benchmark().equals(benchmark)) {
                continue;
            }
            rows.computeIfAbsent(key(r), k -> new LinkedHashMap<>()).put(runtime(r), r);
        }
        return rows;
    }

    /** The implementation a result measured ("-" when it names none). */
    static String runtime(Result r) {
        for (String name : RUNTIME_PARAMS) {
            String v = r.params().get(name);
            if (v != null) {
                return v;
            }
        }
        return "-";
    }

    /**
     * The rows of one benchmark split by op, in order of first appearance: for {@code op:problem} cases
     * {@code pattern}, {@code prb}, {@code depthwise} (a {@code conv} whose groups equal its input
     * channels) and {@code conv}; one section named "" when there is only one, or no op.
     */
    static Map<String, Map<String, Map<String, Result>>> sections(Map<String, Map<String, Result>> rows) {
        Map<String, Map<String, Map<String, Result>>> out = new LinkedHashMap<>();
        for (Map.Entry<String, Map<String, Result>> row : rows.entrySet()) {
            out.computeIfAbsent(section(row.getKey()), k -> new LinkedHashMap<>()).put(row.getKey(), row.getValue());
        }
        if (out.size() <= 1) {
            return Map.of("", rows);
        }
        return out;
    }

    static String section(String key) {
        int colon = key.indexOf(':');
        if (colon < 0 || key.contains(" ")) {
            return "";
        }
        String op = key.substring(0, colon);
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("_g(\\d+)_ic(\\d+)oc").matcher(key);
        if (op.equals("conv") && m.find() && m.group(1).equals(m.group(2)) && !m.group(1).equals("1")) {
            return "depthwise";
        }
        return op;
    }

    static String key(Result r) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, String> p : r.params().entrySet()) {
            if (!RUNTIME_PARAMS.contains(p.getKey())) {
                parts.add(p.getKey().equals("problem") ? p.getValue() : p.getKey() + "=" + p.getValue());
            }
        }
        return String.join(" ", parts);
    }

    static String baseline(Set<String> impls) {
        for (String b : BASELINES) {
            if (impls.contains(b)) {
                return b;
            }
        }
        return null;
    }

    /** The derived figure of a result: GFLOP/s-equivalent for a problem, images/s for a network batch, or "". */
    static String derived(Result r) {
        return derived(r, Double.NaN);
    }

    /** The same, a rate followed by its share of {@code peakGflops} where that is a number. */
    static String derived(Result r, double peakGflops) {
        if (!(r.micros() > 0)) {
            return "";
        }
        String problem = r.params().get("problem");
        if (problem != null) {
            try {
                double gflops = 2.0 * Case.parse(problem).macs() / (r.micros() * 1e3);
                String rate = String.format(Locale.ROOT, "%.1f GFLOP/s", gflops);
                return Double.isNaN(peakGflops) ? rate : rate + String.format(Locale.ROOT, " (%.0f%%)", 100 * gflops / peakGflops);
            } catch (IllegalArgumentException e) {
                return "";
            }
        }
        String batch = r.params().get("batch");
        if (batch != null) {
            return String.format(Locale.ROOT, "%.1f img/s", Integer.parseInt(batch) / (r.micros() * 1e-6));
        }
        return "";
    }

    static String time(Result r) {
        String t = r.micros() >= 100 ? String.format(Locale.ROOT, "%.0f", r.micros()) : String.format(Locale.ROOT, "%.1f", r.micros());
        if (Double.isNaN(r.errorMicros())) {
            return t;
        }
        return t + " ± " + (r.errorMicros() >= 100 ? String.format(Locale.ROOT, "%.0f", r.errorMicros())
                : String.format(Locale.ROOT, "%.1f", r.errorMicros()));
    }

    /** The markdown report. */
    static String markdown(List<Result> results, Info info, Map<String, String> charts) {
        StringBuilder md = new StringBuilder();
        md.append("# ").append(info.title()).append("\n\n");
        md.append("- Date: ").append(info.date()).append("\n");
        md.append("- Machine: ").append(info.machine()).append("\n");
        md.append("- Commit: ").append(info.commit()).append("\n");
        md.append("- Command: `").append(info.command()).append("`\n");
        if (!results.isEmpty()) {
            JsonObject o = results.get(0).raw();
            md.append(String.format(Locale.ROOT, "- JMH %s, %s %s; %d fork(s), %d × %s warm-up, %d × %s measurement, average time; "
                            + "± is JMH's 99.9%% confidence half-width.%n",
                    str(o, "jmhVersion"), str(o, "vmName"), str(o, "jdkVersion"), o.get("forks").getAsInt(),
                    o.get("warmupIterations").getAsInt(), str(o, "warmupTime"), o.get("measurementIterations").getAsInt(),
                    str(o, "measurementTime")));
        }
        if (!Double.isNaN(info.peakGflops())) {
            md.append(String.format(Locale.ROOT, "- Peak: %.1f GFLOP/s, the native backend's multiply-add throughput on all its threads, "
                    + "measured before the benchmarks (`org.sepnet.bench.Peak`, as `sepnet info --peak`). Each rate is followed by its "
                    + "share of this peak; a pattern convolution's rate counts the multiply-adds of the float convolution it replaces, "
                    + "so it can pass 100%%: its binary weights let it skip work.%n", info.peakGflops()));
        }
        md.append("- Every trial checked its output against the reference backend before it was timed.\n");
        md.append("- Speed-up = baseline time / time, both from this run: above 1 is faster than the baseline.\n");
        Set<String> benchmarks = new LinkedHashSet<>();
        results.forEach(r -> benchmarks.add(r.benchmark()));
        for (String b : benchmarks) {
            Map<String, Map<String, Result>> all = table(results, b);
            Set<String> impls = new LinkedHashSet<>();
            all.values().forEach(m -> impls.addAll(m.keySet()));
            String base = baseline(impls);
            md.append("\n## ").append(b).append("\n");
            for (Map.Entry<String, Map<String, Map<String, Result>>> section : sections(all).entrySet()) {
                String name = section.getKey();
                Map<String, Map<String, Result>> rows = section.getValue();
                String chartKey = name.isEmpty() ? b : b + "/" + name;
                if (!name.isEmpty()) {
                    md.append("\n### ").append(name).append("\n");
                }
                md.append('\n');
                if (charts.containsKey(chartKey)) {
                    md.append("![").append(name.isEmpty() ? b : b + " " + name).append("](").append(charts.get(chartKey)).append(")\n\n");
                }
                table(md, rows, impls, base, info.peakGflops());
            }
        }
        return md.toString();
    }

    /** One markdown table: per case, each implementation's time and rate, then the speed-ups against {@code base}. */
    private static void table(StringBuilder md, Map<String, Map<String, Result>> rows, Set<String> impls, String base, double peakGflops) {
        StringBuilder head = new StringBuilder("| case |");
        StringBuilder rule = new StringBuilder("|---|");
        for (String i : impls) {
            head.append(' ').append(i).append(" µs | ").append(i).append(" rate |");
            rule.append("---|---|");
        }
        if (base != null) {
            for (String i : impls) {
                if (!i.equals(base)) {
                    head.append(' ').append(i).append(" vs ").append(base).append(" |");
                    rule.append("---|");
                }
            }
        }
        md.append(head).append('\n').append(rule).append('\n');
        for (Map.Entry<String, Map<String, Result>> row : rows.entrySet()) {
            md.append("| `").append(row.getKey()).append("` |");
            for (String i : impls) {
                Result r = row.getValue().get(i);
                md.append(' ').append(r == null ? "-" : time(r)).append(" | ").append(r == null ? "-" : derived(r, peakGflops)).append(" |");
            }
            if (base != null) {
                Result br = row.getValue().get(base);
                for (String i : impls) {
                    if (!i.equals(base)) {
                        Result r = row.getValue().get(i);
                        md.append(' ').append(r == null || br == null ? "-" : ratio(br.micros() / r.micros())).append(" |");
                    }
                }
            }
            md.append('\n');
        }
    }

    /** A speed-up: two decimals, or three significant digits below 0.1. */
    static String ratio(double v) {
        return (v >= 0.1 ? String.format(Locale.ROOT, "%.2f", v) : String.format(Locale.ROOT, "%.3g", v)) + "x";
    }

    private static String str(JsonObject o, String k) {
        return o.has(k) ? o.get(k).getAsString() : "?";
    }

    /** Implementations the charts leave out: the Java reference's ratios (~0.001x) belong in the tables (as do fixed-cost cases). */
    static final Set<String> NOT_CHARTED = Set.of("reference");

    /**
     * A horizontal bar chart of each implementation's speed-up against the baseline (the peer), per
     * case, the value written on each bar and a line at 1; false when there is no baseline or nothing
     * to chart.
     */
    static boolean chart(List<Result> results, String benchmark, String title, Path png) throws IOException {
        return chart(table(results, benchmark), title, png);
    }

    /** {@link #chart(List, String, String, Path)} for some rows of a benchmark. */
    static boolean chart(Map<String, Map<String, Result>> rows, String title, Path png) throws IOException {
        Set<String> impls = new LinkedHashSet<>();
        rows.values().forEach(m -> impls.addAll(m.keySet()));
        String base = baseline(impls);
        if (base == null) {
            return false;
        }
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        Set<String> charted = new LinkedHashSet<>();
        double hi = 1;
        for (Map.Entry<String, Map<String, Result>> row : rows.entrySet()) {
            Result br = row.getValue().get(base);
            if (br != null && fixedCost(br)) {
                continue;
            }
            for (String i : impls) {
                Result r = row.getValue().get(i);
                if (i.equals(base) || NOT_CHARTED.contains(i) || r == null || br == null) {
                    continue;
                }
                double s = br.micros() / r.micros();
                hi = Math.max(hi, s);
                data.addValue(s, i, shorten(row.getKey()).replaceFirst("^[a-z]+:", ""));
                charted.add(i);
            }
        }
        if (charted.isEmpty()) {
            return false;
        }
        NumberAxis values = new NumberAxis("speed-up vs " + base + " (" + base + " time / time; 1 = same speed)");
        values.setRange(0, hi * 1.15);
        values.setNumberFormatOverride(new java.text.DecimalFormat("0.0x"));
        BarRenderer bars = new BarRenderer();
        bars.setBarPainter(new StandardBarPainter());
        bars.setShadowVisible(false);
        bars.setDefaultItemLabelGenerator(new StandardCategoryItemLabelGenerator("{2}", new java.text.DecimalFormat("0.00x")));
        bars.setDefaultItemLabelsVisible(true);
        bars.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        bars.setDefaultPositiveItemLabelPosition(new ItemLabelPosition(ItemLabelAnchor.OUTSIDE3, TextAnchor.CENTER_LEFT));
        CategoryAxis cases = new CategoryAxis("");
        cases.setLowerMargin(0.01);
        cases.setUpperMargin(0.01);
        CategoryPlot plot = new CategoryPlot(data, cases, values, bars);
        plot.setOrientation(PlotOrientation.HORIZONTAL);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        plot.addRangeMarker(new ValueMarker(1.0, Color.BLACK, new BasicStroke(1.5f)));
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, charted.size() > 1);
        chart.setBackgroundPaint(Color.WHITE);
        int height = 140 + 22 * rows.size() * charted.size();
        ChartUtils.saveChartAsPNG(png.toFile(), chart, 1100, Math.min(height, 4000));
        return true;
    }

    /** A case of under 1000 MACs (run.sh's 1×1×1×1) measures fixed cost: in the table, not the chart. */
    static boolean fixedCost(Result r) {
        String problem = r.params().get("problem");
        try {
            return problem != null && Case.parse(problem).macs() < 1000;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A problem string shortened for a chart label. */
    static String shorten(String key) {
        return key.replace("_sh1sw1", "").replace("_ph0pw0", "").replace("_ph1pw1", "_p1").replace("_ph2pw2", "_p2");
    }

    /** Machine description: CPU model (Linux), cores, OS, Java. */
    static String machine() {
        String cpu = System.getProperty("os.arch");
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    cpu = line.substring(line.indexOf(':') + 1).strip();
                    break;
                }
            }
        } catch (IOException | RuntimeException e) {
            // Not Linux: the architecture will do.
        }
        return String.format("%s, %d cores visible to the JVM, %s %s, Java %s", cpu, Runtime.getRuntime().availableProcessors(),
                System.getProperty("os.name"), System.getProperty("os.version"), System.getProperty("java.version"));
    }

    /** A --peak value: a positive number of GFLOP/s. */
    static double peak(String s) {
        double v;
        try {
            v = Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--peak is '" + s + "'; expected the peak in GFLOP/s, a positive number");
        }
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException("--peak is " + s + "; expected the peak in GFLOP/s, a positive number");
        }
        return v;
    }

    public static void main(String[] args) throws IOException {
        System.setProperty("java.awt.headless", "true");
        String out = null;
        String title = "Benchmarks";
        String commit = "unknown";
        String command = "";
        String machine = null;
        String date = null;
        double peak = Double.NaN;
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--out" -> out = args[++i];
                case "--title" -> title = args[++i];
                case "--commit" -> commit = args[++i];
                case "--command" -> command = args[++i];
                case "--machine" -> machine = args[++i];
                case "--date" -> date = args[++i];
                case "--peak" -> {
                    try {
                        peak = peak(args[++i]);
                    } catch (IllegalArgumentException e) {
                        System.err.println("Render: " + e.getMessage());
                        System.exit(2);
                    }
                }
                default -> inputs.add(Path.of(args[i]));
            }
        }
        if (out == null || inputs.isEmpty()) {
            System.err.println("usage: Render --out PREFIX [--title T] [--commit C] [--command CMD] [--machine M] [--date D]"
                    + " [--peak GFLOPS] RESULTS.json...   (--machine and --date: where and when the results were measured, when that"
                    + " was another machine or day; --peak: the machine's multiply-add peak, see Peak)");
            System.exit(2);
        }
        List<Result> results = new ArrayList<>();
        for (Path p : inputs) {
            results.addAll(read(p));
        }
        Path prefix = Path.of(out);
        if (prefix.toAbsolutePath().getParent() != null) {
            Files.createDirectories(prefix.toAbsolutePath().getParent());
        }
        Map<String, String> charts = new LinkedHashMap<>();
        Set<String> benchmarks = new LinkedHashSet<>();
        results.forEach(r -> benchmarks.add(r.benchmark()));
        for (String b : benchmarks) {
            for (Map.Entry<String, Map<String, Map<String, Result>>> section : sections(table(results, b)).entrySet()) {
                String name = section.getKey();
                Path png = Path.of(out + "-" + b.toLowerCase(Locale.ROOT) + (name.isEmpty() ? "" : "-" + name) + ".png");
                if (chart(section.getValue(), title + ": " + b + (name.isEmpty() ? "" : " (" + name + ")"), png)) {
                    charts.put(name.isEmpty() ? b : b + "/" + name, png.getFileName().toString());
                }
            }
        }
        if (date == null) {
            date = ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'"));
        }
        Path md = Path.of(out + ".md");
        Files.writeString(md, markdown(results, new Info(title, date, machine != null ? machine : machine(), commit, command, peak), charts),
                StandardCharsets.UTF_8);
        System.out.println("wrote " + md + (charts.isEmpty() ? "" : " and " + String.join(", ", charts.values())));
    }
}
