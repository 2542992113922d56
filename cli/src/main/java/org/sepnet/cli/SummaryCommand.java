package org.sepnet.cli;

import java.io.IOException;
import org.sepnet.layers.Summary;
import org.sepnet.models.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code sepnet summary MODEL}: per-layer shapes, parameters, bytes and MACs. */
@Command(name = "summary", mixinStandardHelpOptions = true,
        description = "Print a model's (a zoo model's or a model file's) layers: output shape, parameters by the paper's rule, stored numbers, bytes and "
                + "multiply-accumulates per image; --json prints one JSON object with the totals.")
final class SummaryCommand extends FileCommand {
    @Mixin
    ModelOptions options;

    @Option(names = "--json", description = "One JSON object with model, input, params_paper, params_stored, bytes (weights as stored), "
            + "file_bytes (as a .sepnet file) and macs (per image).")
    boolean json;

    @Override
    int run() throws IOException {
        Model m = options.build();
        Summary s = Summary.of(m.graph(), m.input());
        long fileBytes = org.sepnet.io.ModelFile.encode(m).length;
        if (json) {
            java.util.Map<String, Object> o = new java.util.LinkedHashMap<>();
            o.put("model", m.name());
            o.put("input", m.input().toDimsString());
            o.put("params_paper", s.paperParams());
            o.put("params_stored", s.storedParams());
            o.put("bytes", s.bytes());
            o.put("file_bytes", fileBytes);
            o.put("macs", s.macs());
            System.out.println(Json.of(o));
            return 0;
        }
        System.out.println(m.name() + ": " + m.description());
        System.out.println("input " + m.input() + ", output " + s.output());
        System.out.println();
        Table t = new Table("layer", "type", "output", "params (paper)", "stored", "bytes", "MACs");
        for (Summary.Row r : s.rows()) {
            t.row(r.name(), r.type(), r.output(), r.paperParams() == 0 ? "" : String.format("%,d", r.paperParams()),
                    r.storedParams() == 0 ? "" : String.format("%,d", r.storedParams()),
                    r.bytes() == 0 ? "" : String.format("%,d", r.bytes()), r.macs() == 0 ? "" : String.format("%,d", r.macs()));
        }
        t.row("total", "", "", String.format("%,d", s.paperParams()), String.format("%,d", s.storedParams()),
                String.format("%,d", s.bytes()), String.format("%,d", s.macs()));
        t.print(System.out);
        System.out.println();
        System.out.printf("parameters by the paper's rule: %,d (%.2fM); stored numbers: %,d; weights as stored: %,d bytes (%.2f MB); "
                        + "as a .sepnet file: %,d bytes; %,d multiply-accumulates per image%n", s.paperParams(), s.paperParams() / 1e6,
                s.storedParams(), s.bytes(), s.bytes() / 1e6, fileBytes, s.macs());
        return 0;
    }
}
