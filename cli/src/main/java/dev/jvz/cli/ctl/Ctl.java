package dev.jvz.cli.ctl;

import dev.jvz.cli.node.NodeOptions;
import dev.jvz.ct.ConfigException;
import dev.jvz.ct.Containers;
import dev.jvz.ct.CtConfig;
import dev.jvz.ct.GlobalConfig;
import dev.jvz.node.NodeClient;
import dev.jvz.node.NodeException;
import dev.jvz.node.NodePaths;
import java.net.InetAddress;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** What every ctl command starts with: the host's config and a running node. Stateless. */
final class Ctl {
    private Ctl() {}

    /** The containers of this host ($JVZ_CONF or /etc/jvz/jvz.conf); starts the node when it is not running. */
    static Containers open() throws ConfigException, NodeException {
        GlobalConfig g = GlobalConfig.load();
        NodeClient node = new NodeClient(new NodePaths(g.nodeDir()));
        node.ensureRunning(NodeOptions.selfLauncher());
        return Containers.open(g, node);
    }

    /** Sizes as vzctl takes them: 512M, 10G, bare bytes. */
    static final class SizeArg implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return CtConfig.parseSize(value, "size");
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** A numeric IP address. */
    static final class IpArg implements ITypeConverter<InetAddress> {
        @Override
        public InetAddress convert(String value) {
            try {
                return CtConfig.parseAddress(value, "address");
            } catch (ConfigException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }

    /** yes or no. */
    static final class YesNo implements ITypeConverter<Boolean> {
        @Override
        public Boolean convert(String value) {
            return switch (value) {
                case "yes" -> true;
                case "no" -> false;
                default -> throw new TypeConversionException("'" + value + "' must be yes or no");
            };
        }
    }
}
