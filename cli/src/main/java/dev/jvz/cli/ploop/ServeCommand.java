package dev.jvz.cli.ploop;

import dev.jvz.cli.CommonOptions;
import dev.jvz.image.Disk;
import dev.jvz.image.Image;
import dev.jvz.image.ImageException;
import dev.jvz.nbd.NbdServer;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code jvz ploop serve}: one NBD export in the foreground, like qemu-nbd. */
@Command(
        name = "serve",
        description = {
            "Serve a disk over NBD in the foreground, like qemu-nbd.",
            "",
            "Serves the whole delta stack of a DiskDescriptor.xml (or one delta file) as an NBD export "
                    + "on a Unix socket or a TCP port until interrupted (Ctrl-C, SIGTERM), then closes "
                    + "the images cleanly. Any number of clients may connect at once (multi-conn); FLUSH "
                    + "and FUA make data durable in the delta file before the reply. Clients: nbdinfo, "
                    + "nbdcopy, nbdfuse, qemu-img, fio, nbd-client."
        },
        footerHeading = "%nExamples:%n",
        footer = {
            "  jvz ploop serve --socket /run/jvz.sock root.hdd/DiskDescriptor.xml",
            "  nbdinfo 'nbd+unix:///?socket=/run/jvz.sock'",
            "  jvz ploop serve -r --port 10809 --bind 127.0.0.1 root.hdd     # read-only, TCP"
        })
public final class ServeCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    CommonOptions common;

    @Option(names = {"-r", "--read-only"}, description = "Serve read-only (writes get EPERM).")
    boolean readOnly;

    @Option(names = {"-x", "--export-name"}, paramLabel = "NAME", defaultValue = "",
            description = "Export name (default: the empty default export).")
    String exportName;

    @ArgGroup(exclusive = true, multiplicity = "1")
    Listen listen;

    static final class Listen {
        @Option(names = "--socket", paramLabel = "PATH", description = "Listen on a Unix domain socket.")
        Path socket;

        @Option(names = "--port", paramLabel = "N", description = "Listen on TCP port N (see --bind).")
        Integer port;
    }

    @Option(names = "--bind", paramLabel = "ADDR", defaultValue = "127.0.0.1",
            description = "Address for --port (default: ${DEFAULT-VALUE}; 0.0.0.0 for all).")
    String bind;

    @Parameters(index = "0", paramLabel = "IMAGE|DiskDescriptor.xml", description = "A delta file or a disk.")
    Path image;

    @Override
    public Integer call() throws IOException, ImageException, InterruptedException {
        Disk disk = null;
        Image img;
        if (Files.isDirectory(image) || image.getFileName().toString().equals(Disk.DESCRIPTOR_NAME)) {
            disk = Disk.open(image);
            img = disk.openImage(!readOnly);
        } else {
            img = Image.open(image, !readOnly);
        }
        PrintWriter out = spec.commandLine().getOut();
        // On SIGTERM the hook stops the server, then waits until the images are closed cleanly below:
        // the JVM halts when hooks finish, and an image left open keeps its inUse mark.
        java.util.concurrent.CountDownLatch closed = new java.util.concurrent.CountDownLatch(1);
        try (Disk d = disk; Image i = img;
                NbdServer server = NbdServer.builder(i).exportName(exportName).readOnly(readOnly)
                        .description(image.toAbsolutePath().toString()).build()) {
            String where;
            if (listen.socket != null) {
                where = "nbd+unix:///" + exportName + "?socket=" + server.listenUnix(listen.socket).toAbsolutePath();
            } else {
                InetSocketAddress a = server.listenTcp(new InetSocketAddress(bind, listen.port));
                where = "nbd://" + a.getHostString() + ":" + a.getPort() + "/" + exportName;
            }
            if (!common.quiet()) {
                out.println("Serving " + image + (readOnly ? " read-only" : "") + " at " + where);
                out.flush();
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                try {
                    closed.await(30, java.util.concurrent.TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "jvz-serve-stop"));
            server.awaitClosed();
        } finally {
            closed.countDown();
        }
        return 0;
    }
}
