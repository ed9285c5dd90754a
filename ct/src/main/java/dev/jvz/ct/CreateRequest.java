package dev.jvz.ct;

import java.net.InetAddress;
import java.util.List;

/**
 * What {@code jvz ctl create} asks for; null fields take the host's defaults.
 *
 * @param ctid the new container's ID
 * @param ostemplate the template to unpack (DEF_OSTEMPLATE when null)
 * @param diskspace disk size in bytes (DISKSPACE when null)
 * @param hostname host name, or null
 * @param ipAddresses addresses, possibly empty
 * @param configSample NAME of CONF_DIR/ve-NAME.conf-sample to start the config from, or null
 */
public record CreateRequest(String ctid, String ostemplate, Long diskspace, String hostname,
        List<InetAddress> ipAddresses, String configSample) {
    public CreateRequest {
        ipAddresses = ipAddresses == null ? List.of() : List.copyOf(ipAddresses);
    }

    public static CreateRequest of(String ctid, String ostemplate) {
        return new CreateRequest(ctid, ostemplate, null, null, List.of(), null);
    }

    public CreateRequest withHostname(String h) {
        return new CreateRequest(ctid, ostemplate, diskspace, h, ipAddresses, configSample);
    }

    public CreateRequest withDiskspace(long bytes) {
        return new CreateRequest(ctid, ostemplate, bytes, hostname, ipAddresses, configSample);
    }

    public CreateRequest withIp(List<InetAddress> ips) {
        return new CreateRequest(ctid, ostemplate, diskspace, hostname, ips, configSample);
    }
}
