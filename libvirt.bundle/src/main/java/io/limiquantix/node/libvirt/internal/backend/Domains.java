package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStatus;
import java.util.Locale;
import java.util.regex.Pattern;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.DomainInfo;
import org.libvirt.LibvirtException;

/** Looking up domains by VM id and describing them in the API's terms. */
final class Domains {
    static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
    /** A name as the API allows it (the API's own check is private to its bundle). */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private Domains() {}

    static String checkId(String vmId) {
        if (vmId == null) throw new InvalidArgumentException("vmId", "is required");
        if (!UUID.matcher(vmId).matches()) throw new InvalidArgumentException("vmId", "must be a lower-case UUID");
        return vmId;
    }

    static String checkName(String field, String value) {
        if (value == null) throw new InvalidArgumentException(field, "is required");
        if (!NAME.matcher(value).matches())
            throw new InvalidArgumentException(field, "must be 1-64 ASCII letters, digits, '.', '_' or '-', starting with a letter or digit");
        return value;
    }

    /**
     * Releases a domain handle now instead of at its finalization. Each handle holds a reference on its
     * connection, so handles left to the garbage collector keep a closed connection's socket open (seen when
     * the bundle is swapped under load). Never fails.
     */
    static void free(Domain d) {
        if (d == null) return;
        try {
            d.free();
        } catch (LibvirtException | RuntimeException e) {
            // the handle is gone either way
        }
    }

    static Domain lookup(Connect c, String vmId) throws LibvirtException {
        return c.domainLookupByUUIDString(checkId(vmId));
    }

    static VmStatus status(Domain d) throws LibvirtException {
        DomainInfo info = d.getInfo();
        VmState state = state(info.state);
        return new VmStatus(d.getUUIDString().toLowerCase(Locale.ROOT), d.getName(), state, "", info.nrVirtCpu,
            info.maxMem / 1024, state.isActive() || state == VmState.CRASHED ? info.cpuTime : 0);
    }

    static VmState state(DomainInfo.DomainState s) {
        if (s == null) return VmState.UNKNOWN;
        return switch (s) {
            case VIR_DOMAIN_RUNNING, VIR_DOMAIN_BLOCKED -> VmState.RUNNING;
            case VIR_DOMAIN_PAUSED -> VmState.PAUSED;
            case VIR_DOMAIN_SHUTDOWN -> VmState.SHUTTING_DOWN;
            case VIR_DOMAIN_SHUTOFF -> VmState.STOPPED;
            case VIR_DOMAIN_CRASHED -> VmState.CRASHED;
            case VIR_DOMAIN_PMSUSPENDED -> VmState.SUSPENDED;
            case VIR_DOMAIN_NOSTATE -> VmState.UNKNOWN;
        };
    }
}
