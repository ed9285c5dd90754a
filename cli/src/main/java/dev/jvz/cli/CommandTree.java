package dev.jvz.cli;

import dev.jvz.cli.ctl.CtlCommand;
import dev.jvz.cli.node.NodeCommand;
import dev.jvz.cli.ploop.PloopCommand;
import dev.jvz.cli.template.TemplateCommand;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code jvz} command tree, and the part of it one run needs.
 *
 * <p>Why not picocli's {@code subcommands} annotations: picocli builds the model of every command they
 * name, eagerly, and for jvz's ~50 commands that took 130-160 ms of every run (measured: building
 * {@link Main#commandLine} in a fresh JVM with the class-data archive, 2026-11-26), longer than some
 * commands' own work. A run whose first words name a group and one of its subcommands
 * ({@code jvz ploop copy ...}) or a top-level command ({@code jvz list ...}) gets only that path
 * under {@code jvz}; the command's usage, errors and qualified name are the same as in the whole
 * tree, since its parents are the real ones ({@code CommandTreeTest} compares them for every
 * command). Anything else ({@code jvz --help}, {@code jvz help ploop init}, {@code jvz ploop},
 * a misspelt name that picocli should suggest a fix for) gets the whole tree, or the whole group.
 *
 * <p>Stateless; thread-safe.
 */
final class CommandTree {
    /** Top-level entries in the order {@code jvz --help} lists them; a group lists its subcommands. */
    static final List<Entry> TOP = List.of(
            new Entry(PloopCommand.class, PloopCommand.SUBCOMMANDS),
            new Entry(NodeCommand.class, NodeCommand.SUBCOMMANDS),
            new Entry(CtlCommand.class, CtlCommand.SUBCOMMANDS),
            new Entry(dev.jvz.cli.ctl.ListCommand.class, List.of()),
            new Entry(TemplateCommand.class, TemplateCommand.SUBCOMMANDS),
            new Entry(CommandLine.HelpCommand.class, List.of()));

    /** A top-level command and, if it is a group, its subcommands. */
    record Entry(Class<?> command, List<Class<?>> subcommands) {
        Entry {
            subcommands = List.copyOf(subcommands);
        }

        boolean named(String word) {
            return CommandTree.named(command, word);
        }
    }

    private CommandTree() {}

    /** Registers under {@code root} the whole tree. */
    static void addAll(CommandLine root) {
        for (Entry e : TOP) {
            add(root, e, e.subcommands());
        }
    }

    /** Registers under {@code root} what a run with {@code args} needs (see the class comment). */
    static void addFor(CommandLine root, String... args) {
        Entry top = args.length == 0 ? null : find(args[0]);
        if (top == null || top.command() == CommandLine.HelpCommand.class) {
            addAll(root);
            return;
        }
        if (top.subcommands().isEmpty()) {
            add(root, top, List.of());
            return;
        }
        List<Class<?>> subs = args.length < 2 ? List.of()
                : top.subcommands().stream().filter(c -> named(c, args[1])).toList();
        // Not a subcommand name (-h, a typo, nothing): the whole group, for its usage and suggestions.
        add(root, top, subs.isEmpty() ? top.subcommands() : subs);
    }

    private static Entry find(String word) {
        for (Entry e : TOP) {
            if (e.named(word)) {
                return e;
            }
        }
        return null;
    }

    private static void add(CommandLine root, Entry e, List<Class<?>> subs) {
        CommandLine group = new CommandLine(e.command());
        for (Class<?> s : subs) {
            group.addSubcommand(new CommandLine(s));
        }
        root.addSubcommand(group);
    }

    /** Whether {@code word} is the name or an alias of {@code command} (read from its annotation). */
    static boolean named(Class<?> command, String word) {
        Command c = command.getAnnotation(Command.class);
        if (c == null) {
            throw new IllegalStateException(command.getName() + " has no @Command annotation");
        }
        return c.name().equals(word) || Arrays.asList(c.aliases()).contains(word);
    }

    /** Every command path of the whole tree, e.g. {@code [ploop, copy]}, {@code [list]}: for tests. */
    static List<List<String>> paths() {
        List<List<String>> out = new ArrayList<>();
        for (Entry e : TOP) {
            String name = e.command().getAnnotation(Command.class).name();
            out.add(List.of(name));
            for (Class<?> s : e.subcommands()) {
                out.add(List.of(name, s.getAnnotation(Command.class).name()));
            }
        }
        return out;
    }
}
