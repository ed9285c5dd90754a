package dev.jvz.ct;

import java.nio.file.Path;
import java.time.Duration;

/**
 * A second process for the lock test: takes a container's lock as "jvz ctl start", says "locked" on
 * stdout, and holds it until killed (the test kills it with SIGKILL, as a crash would).
 */
public final class LockHolderMain {
    private LockHolderMain() {}

    public static void main(String[] args) throws Exception {
        CtLock l = CtLock.acquire(Path.of(args[0]), args[1], "jvz ctl start", Duration.ofSeconds(10));
        System.out.println("locked");
        System.out.flush();
        Thread.sleep(Duration.ofMinutes(5));
        l.close();
    }
}
