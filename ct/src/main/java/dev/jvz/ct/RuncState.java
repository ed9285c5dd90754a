package dev.jvz.ct;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Locale;

/**
 * What {@code runc state} / {@code runc list -f json} report for one container, read tolerantly:
 * unknown fields are ignored (runc adds some between versions) and a missing or unfamiliar status
 * reads as {@link Status#UNKNOWN} instead of failing.
 *
 * @param id the runc container ID
 * @param pid the init process on the host, 0 when unknown or stopped
 * @param rawStatus the status word as runc printed it
 * @param bundle the bundle directory
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record RuncState(@JsonProperty("id") String id, @JsonProperty("pid") int pid,
        @JsonProperty("status") String rawStatus, @JsonProperty("bundle") String bundle) {

    /** runc's container states (runtime-spec "status") plus UNKNOWN for anything else. */
    enum Status {
        CREATING, CREATED, RUNNING, PAUSED, STOPPED, UNKNOWN;

        static Status of(String s) {
            if (s == null) {
                return UNKNOWN;
            }
            try {
                return valueOf(s.strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return UNKNOWN;
            }
        }
    }

    Status status() {
        return Status.of(rawStatus);
    }
}
