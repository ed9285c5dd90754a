package dev.jvz.cli;

import dev.jvz.copy.CopyProtocolException;
import dev.jvz.copy.LiveCopyException;
import dev.jvz.copy.RemoteFailureException;
import dev.jvz.image.DescriptorException;
import dev.jvz.image.ImageCorruptedException;
import dev.jvz.node.NodeException;
import dev.jvz.image.ImageException;
import dev.jvz.image.ImageInUseException;
import dev.jvz.image.ImageLockedException;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

/**
 * The one place where failures become what the user sees: a single line on stderr,
 * {@code <command>: <what is wrong and what to do>}, and an exit code from {@link ExitCodes}.
 * The Java stack trace follows only with {@code --stacktrace}.
 *
 * <p>Command-line errors (picocli's {@link ParameterException}, also when a command throws one
 * itself) are one line too, pointing at {@code --help}, with {@link ExitCodes#USAGE}.
 *
 * <p>Stateless and thread-safe.
 */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        String name = cmd.getCommandSpec().qualifiedName();
        PrintWriter err = cmd.getErr();
        err.println(name + ": " + oneLine(ex.getMessage()) + " (see '" + name + " --help')");
        err.flush();
        return ExitCodes.USAGE;
    }

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        err.println(cmd.getCommandSpec().qualifiedName() + ": " + oneLine(message(ex)));
        if (stacktraceRequested(parseResult)) {
            ex.printStackTrace(err);
        }
        err.flush();
        return exitCode(ex);
    }

    /** The exit code for a failure; see {@link ExitCodes} for why each number. */
    static int exitCode(Throwable failure) {
        return switch (unwrap(failure)) {
            case CliException e -> e.exitCode();
            case dev.jvz.ct.CtException e -> dev.jvz.cli.ctl.CtExitCodes.of(e);
            case NodeException e -> switch (e.kind()) {
                case INVALID -> ExitCodes.PARAM;
                case NOT_FOUND -> ExitCodes.OPEN;
                case BUSY -> ExitCodes.BUSY;
                case IN_USE -> ExitCodes.IN_USE;
                case CORRUPTED -> ExitCodes.CORRUPTED;
                case TOOL, IO -> ExitCodes.IO;
                case COPY -> ExitCodes.PROTOCOL;
                case UNREACHABLE -> ExitCodes.NODE_UNAVAILABLE;
            };
            case LiveCopyException e when protocolFailure(e) -> ExitCodes.PROTOCOL;
            case LiveCopyException e when e.getCause() instanceof IOException io && isDiskFull(io) -> ExitCodes.WRITE;
            case LiveCopyException _ -> ExitCodes.IO; // as the node reports it: a tool or the I/O failed
            case ImageCorruptedException _ -> ExitCodes.CORRUPTED;
            case ImageInUseException _ -> ExitCodes.IN_USE;
            case ImageLockedException _ -> ExitCodes.LOCKED;
            case DescriptorException _ -> ExitCodes.DESCRIPTOR;
            case ImageException _ -> ExitCodes.FAILED;
            case NoSuchFileException _ -> ExitCodes.OPEN;
            case AccessDeniedException _ -> ExitCodes.OPEN;
            case FileAlreadyExistsException _ -> ExitCodes.FAILED;
            case IOException e when isDiskFull(e) -> ExitCodes.WRITE;
            case IOException e when protocolFailure(e) -> ExitCodes.PROTOCOL;
            case IOException _ -> ExitCodes.IO;
            case IllegalArgumentException _ -> ExitCodes.PARAM;
            default -> ExitCodes.INTERNAL;
        };
    }

    /** The text after {@code <command>: }. Domain messages already say what to do; JDK ones get a reason. */
    static String message(Throwable failure) {
        Throwable t = unwrap(failure);
        return switch (t) {
            case CliException e -> e.getMessage();
            case dev.jvz.ct.CtException e -> e.getMessage();
            case ImageException e -> e.getMessage();
            case NodeException e -> e.getMessage();
            case NoSuchFileException e -> fileMessage(e, "no such file or directory");
            case AccessDeniedException e -> fileMessage(e, "permission denied");
            case FileAlreadyExistsException e -> fileMessage(e, "already exists");
            case FileSystemException e -> fileMessage(e, "file system error");
            case IOException e when isDiskFull(e) -> e.getMessage() + "; free some space and retry";
            case IOException e -> e.getMessage() != null ? e.getMessage() : "I/O error (" + e.getClass().getSimpleName() + ")";
            case IllegalArgumentException e -> e.getMessage() != null ? e.getMessage() : "invalid value";
            default -> "internal error: " + t + "; rerun with --stacktrace and report it";
        };
    }

    /** FileSystemException's own message lacks the reason for NoSuchFile & co.: "PATH: reason". */
    private static String fileMessage(FileSystemException e, String defaultReason) {
        StringBuilder sb = new StringBuilder();
        sb.append(e.getFile() != null ? e.getFile() : "(unknown file)");
        if (e.getOtherFile() != null) {
            sb.append(" -> ").append(e.getOtherFile());
        }
        sb.append(": ").append(e.getReason() != null ? e.getReason() : defaultReason);
        return sb.toString();
    }

    /**
     * The copy stream itself failed (malformed, refused by the receiver, a checksum or digest
     * mismatch), here or anywhere in the cause chain of a failed copy.
     */
    private static boolean protocolFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof CopyProtocolException || t instanceof RemoteFailureException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isDiskFull(IOException e) {
        return IoErrors.isDiskFull(e);
    }

    /** UncheckedIOException carries the real failure as its cause. */
    private static Throwable unwrap(Throwable t) {
        while (t instanceof UncheckedIOException && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** A multi-line message would break the one-line contract: keep its first line. */
    private static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl).stripTrailing();
    }

    private static boolean stacktraceRequested(ParseResult pr) {
        for (ParseResult p = pr; p != null; p = p.subcommand()) {
            if (p.hasMatchedOption("--stacktrace")) {
                return true;
            }
        }
        return false;
    }
}
