package dev.jvz.nbd;

import dev.jvz.image.CreateOptions;
import dev.jvz.image.Image;
import java.nio.file.Files;
import java.nio.file.Path;

/** Manual interop checks: {@code DevServe IMAGE SIZE SOCKET [ro]} creates IMAGE if absent and serves it. */
final class DevServe {
    public static void main(String[] a) throws Exception {
        Path img = Path.of(a[0]);
        if (!Files.exists(img)) {
            Image.create(img, new CreateOptions(Long.parseLong(a[1]), 2048, 2));
        }
        boolean ro = a.length > 3 && a[3].equals("ro");
        Image i = Image.open(img, !ro);
        NbdServer s = NbdServer.builder(i).exportName("root").readOnly(ro).build();
        s.listenUnix(Path.of(a[2]));
        // Both closes must happen inside the hook: the JVM does not wait for main after a signal.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            s.close();
            try {
                i.close();
            } catch (java.io.IOException e) {
                e.printStackTrace();
            }
        }));
        s.awaitClosed();
        Thread.sleep(Long.MAX_VALUE);
    }
}
