package org.sepnet.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of {@code ./sepnet}. */
@Command(name = "sepnet", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "Pattern networks (SEP-Nets): CUDA, native CPU and reference kernels.",
        subcommands = {InfoCommand.class, DemoCommand.class, SummaryCommand.class, ImportCommand.class, ExportCommand.class,
                InspectCommand.class, BinarizeCommand.class, QuantizeCommand.class, QErrorCommand.class, RunCommand.class, ProfileCommand.class, GradcheckCommand.class,
                TrainCommand.class, RefineCommand.class, EvalCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Held so the level set on it is not lost to garbage collection. */
    private static final java.util.logging.Logger LIBRARY_LOG = java.util.logging.Logger.getLogger("org.sepnet");

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%4$s: %5$s%6$s%n");
        }
        // The library logs the backend choice and unclosed resources at DEBUG (java.util.logging FINE),
        // which the default console handler leaves out; -Dsepnet.verbose=true shows them.
        if (Boolean.getBoolean("sepnet.verbose")) {
            java.util.logging.ConsoleHandler h = new java.util.logging.ConsoleHandler();
            h.setLevel(java.util.logging.Level.FINE);
            LIBRARY_LOG.setLevel(java.util.logging.Level.FINE);
            LIBRARY_LOG.addHandler(h);
            LIBRARY_LOG.setUseParentHandlers(false);
        }
        int code = commandLine().execute(args);
        System.exit(code);
    }

    /** The command line, with the model names listed under every command that takes a model. */
    static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true);
        List<String> footer = new ArrayList<>();
        footer.add("");
        footer.add("Zoo models (seeded random weights):");
        footer.addAll(lines(org.sepnet.models.Zoo.names()));
        footer.add("Trained models in the jar:");
        footer.addAll(lines(org.sepnet.io.Pretrained.names()));
        for (CommandLine sub : cl.getSubcommands().values()) {
            boolean takesModel = sub.getCommandSpec().positionalParameters().stream()
                    .anyMatch(p -> p.paramLabel().equals("MODEL") || p.paramLabel().equals("IN"));
            if (takesModel) {
                sub.getCommandSpec().usageMessage().footer(footer.toArray(String[]::new));
            }
        }
        return cl;
    }

    /** Names joined by ", " in lines of at most 76 characters, each name whole. */
    private static List<String> lines(List<String> names) {
        List<String> out = new ArrayList<>();
        StringBuilder line = new StringBuilder("  ");
        for (int i = 0; i < names.size(); i++) {
            String item = names.get(i) + (i + 1 < names.size() ? "," : "");
            if (line.length() > 2 && line.length() + 1 + item.length() > 78) {
                out.add(line.toString());
                line = new StringBuilder("  ");
            }
            line.append(line.length() > 2 ? " " : "").append(item);
        }
        out.add(line.toString());
        return out;
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** The library version from the jar manifest. */
    static String version() {
        String v = Main.class.getPackage().getImplementationVersion();
        return v == null ? "development build" : v;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"sepnet " + version()};
        }
    }
}
