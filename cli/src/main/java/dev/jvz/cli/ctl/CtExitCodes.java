package dev.jvz.cli.ctl;

import dev.jvz.cli.ExitCodes;
import dev.jvz.ct.AddressInUseException;
import dev.jvz.ct.ConfigException;
import dev.jvz.ct.CtException;
import dev.jvz.ct.CtLockedException;
import dev.jvz.ct.CtNotFoundException;
import dev.jvz.ct.CtStateException;
import dev.jvz.ct.TemplateNotFoundException;
import dev.jvz.node.NodeException;

/** Which exit code a container failure gets (vzctl's numbers, see {@link ExitCodes}). Stateless. */
public final class CtExitCodes {
    private CtExitCodes() {}

    public static int of(CtException e) {
        return switch (e) {
            case CtLockedException _ -> ExitCodes.CT_LOCKED;
            case TemplateNotFoundException _ -> ExitCodes.CT_TEMPLATE;
            case AddressInUseException _ -> ExitCodes.CT_ADDRESS;
            case CtNotFoundException _ -> ExitCodes.CT_NOT_FOUND;
            case ConfigException _ -> ExitCodes.CT_CONFIG;
            case CtStateException s -> switch (s.state()) {
                case EXISTS -> ExitCodes.CT_EXISTS;
                case RUNNING -> ExitCodes.CT_RUNNING;
                case NOT_RUNNING -> ExitCodes.CT_NOT_RUNNING;
                case MOUNTED -> ExitCodes.CT_MOUNTED;
                case NOT_MOUNTED -> ExitCodes.CT_NOT_MOUNTED;
            };
            default -> e.getCause() instanceof NodeException n && n.kind() == NodeException.Kind.UNREACHABLE
                    ? ExitCodes.NODE_UNAVAILABLE
                    : ExitCodes.FAILED;
        };
    }
}
