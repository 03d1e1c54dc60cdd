package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/** Turns libvirt's errors into the API's typed errors, keeping libvirt's own words in the message. */
final class ErrorMapping {
    private ErrorMapping() {}

    /** True when the error means the connection itself is gone or unusable, not that one call failed. */
    static boolean isConnectionError(LibvirtException e) {
        Error err = e.getError();
        if (err == null) return false;
        Error.ErrorNumber code = err.getCode();
        if (code == Error.ErrorNumber.VIR_ERR_RPC || code == Error.ErrorNumber.VIR_ERR_NO_CONNECT
            || code == Error.ErrorNumber.VIR_ERR_INVALID_CONN) return true;
        // "client socket is closed", "Cannot write data: Broken pipe" come from the RPC layer with
        // generic codes; the error domain is what tells them apart from, say, a missing disk file.
        return err.getDomain() == Error.ErrorDomain.VIR_FROM_RPC;
    }

    static HypervisorException map(String backend, String what, LibvirtException e) {
        Error err = e.getError();
        String words = err == null || err.getMessage() == null ? String.valueOf(e.getMessage()) : err.getMessage();
        String message = what + ": " + words;
        if (isConnectionError(e)) return new BackendUnavailableException("backend " + backend + ": " + message, e);
        Error.ErrorNumber code = err == null ? Error.ErrorNumber.VIR_ERR_UNKNOWN : err.getCode();
        return switch (code) {
            case VIR_ERR_NO_DOMAIN, VIR_ERR_NO_DOMAIN_SNAPSHOT, VIR_ERR_DEVICE_MISSING, VIR_ERR_NO_SECRET,
                VIR_ERR_NO_NETWORK, VIR_ERR_NO_STORAGE_VOL -> new NotFoundException(message);
            case VIR_ERR_OPERATION_INVALID, VIR_ERR_DOM_EXIST, VIR_ERR_RESOURCE_BUSY, VIR_ERR_SNAPSHOT_REVERT_RISKY,
                VIR_ERR_BLOCK_COPY_ACTIVE -> new ConflictException(message);
            case VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_UNSUPPORTED, VIR_ERR_CONFIG_UNSUPPORTED,
                VIR_ERR_ARGUMENT_UNSUPPORTED -> new UnsupportedFeatureException(null, message);
            case VIR_ERR_OPERATION_TIMEOUT, VIR_ERR_AGENT_UNRESPONSIVE -> new BackendUnavailableException(message, e);
            default -> new BackendFailureException(message, e);
        };
    }
}
