package dev.jvz.cli;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * Whether a standard stream is a terminal, so progress lines (with carriage returns) go only where
 * a person watches them and never into a log or a pipe.
 *
 * <p>Asks libc's {@code isatty(3)} through the foreign-function API: {@link System#console()} only
 * speaks for stdin/stdout, while progress goes to stderr. bin/jvz grants native access; if the call
 * is not possible the answer falls back to {@code System.console().isTerminal()}. Thread-safe.
 */
public final class Terminal {
    private Terminal() {}

    /** File descriptor of standard error. */
    public static final int STDERR = 2;

    /** True when {@code fd} is a terminal. */
    @SuppressWarnings("restricted") // a downcall to isatty(3) only reads an int; bin/jvz enables native access
    public static boolean isTerminal(int fd) {
        try {
            Linker linker = Linker.nativeLinker();
            MethodHandle isatty = linker.downcallHandle(
                    linker.defaultLookup().find("isatty").orElseThrow(),
                    FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT));
            return (int) isatty.invokeExact(fd) == 1;
        } catch (Throwable t) {
            // No native access (IllegalCallerException) or no libc symbol: the console is the best guess.
            var console = System.console();
            return console != null && console.isTerminal();
        }
    }
}
