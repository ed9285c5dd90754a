package dev.jvz.cli.ctl;

import static org.assertj.core.api.Assertions.assertThat;

import dev.jvz.cli.ExitCodes;
import dev.jvz.ct.AddressInUseException;
import dev.jvz.ct.ConfigException;
import dev.jvz.ct.CtException;
import dev.jvz.ct.CtLockedException;
import dev.jvz.ct.CtNotFoundException;
import dev.jvz.ct.CtStateException;
import dev.jvz.ct.RuncException;
import dev.jvz.ct.TemplateNotFoundException;
import dev.jvz.node.NodeException;
import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class CtExitCodesTest {
    @Test
    void containerFailuresGetVzctlsNumbers() {
        assertThat(CtExitCodes.of(new CtLockedException("x"))).isEqualTo(9);
        assertThat(CtExitCodes.of(new CtNotFoundException("x"))).isEqualTo(14);
        assertThat(CtExitCodes.of(new ConfigException("x"))).isEqualTo(21);
        assertThat(CtExitCodes.of(new CtStateException(CtStateException.State.NOT_RUNNING, "x"))).isEqualTo(31);
        assertThat(CtExitCodes.of(new CtStateException(CtStateException.State.RUNNING, "x"))).isEqualTo(32);
        assertThat(CtExitCodes.of(new AddressInUseException(InetAddress.ofLiteral("10.0.0.1"), "x"))).isEqualTo(34);
        assertThat(CtExitCodes.of(new CtStateException(CtStateException.State.NOT_MOUNTED, "x"))).isEqualTo(40);
        assertThat(CtExitCodes.of(new CtStateException(CtStateException.State.MOUNTED, "x"))).isEqualTo(41);
        assertThat(CtExitCodes.of(new CtStateException(CtStateException.State.EXISTS, "x"))).isEqualTo(44);
        assertThat(CtExitCodes.of(new TemplateNotFoundException("t", "x"))).isEqualTo(47);
    }

    @Test
    void anUnreachableNodeIs69AndOtherFailuresAre1() {
        assertThat(CtExitCodes.of(new CtException("x", new NodeException(NodeException.Kind.UNREACHABLE, "down"))))
                .isEqualTo(ExitCodes.NODE_UNAVAILABLE);
        assertThat(CtExitCodes.of(new RuncException("runc run 101 failed"))).isEqualTo(ExitCodes.FAILED);
    }
}
