package org.sepnet.cli;

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
        int code = new CommandLine(new Main()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
        System.exit(code);
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
