package dev.jvz.copy;

import java.io.IOException;
import java.util.concurrent.atomic.AtomicInteger;

/** A freeze step that counts its calls, runs hooks, and can be told to fail. */
class TestFreeze implements FreezeStep {
    final AtomicInteger freezes = new AtomicInteger();
    final AtomicInteger thaws = new AtomicInteger();
    IOException failFreeze;
    RuntimeException failFreezeUnchecked;
    IOException failThaw;
    Hook onFreeze = () -> { };
    Hook onThaw = () -> { };

    interface Hook {
        void run() throws IOException;
    }

    @Override
    public void freeze() throws IOException {
        freezes.incrementAndGet();
        if (failFreeze != null) {
            throw failFreeze;
        }
        if (failFreezeUnchecked != null) {
            throw failFreezeUnchecked;
        }
        onFreeze.run();
    }

    @Override
    public void thaw() throws IOException {
        thaws.incrementAndGet();
        onThaw.run();
        if (failThaw != null) {
            throw failThaw;
        }
    }
}
