package io.limiquantix.node.libvirt.internal.storage;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import org.libvirt.Error;
import org.libvirt.LibvirtException;

/** libvirt storage errors in the API's terms, with libvirt's own words kept in the message. */
final class StorageErrors {
    private StorageErrors() {}

    static boolean isConnectionError(LibvirtException e) {
        Error err = e.getError();
        if (err == null) return false;
        Error.ErrorNumber code = err.getCode();
        return code == Error.ErrorNumber.VIR_ERR_RPC || code == Error.ErrorNumber.VIR_ERR_NO_CONNECT
            || code == Error.ErrorNumber.VIR_ERR_INVALID_CONN || err.getDomain() == Error.ErrorDomain.VIR_FROM_RPC;
    }

    static HypervisorException map(String provider, String what, LibvirtException e) {
        Error err = e.getError();
        String words = err == null || err.getMessage() == null ? String.valueOf(e.getMessage()) : err.getMessage();
        String message = "volume provider " + provider + ": " + what + ": " + words;
        if (isConnectionError(e)) return new BackendUnavailableException(message, e);
        Error.ErrorNumber code = err == null ? Error.ErrorNumber.VIR_ERR_UNKNOWN : err.getCode();
        return switch (code) {
            case VIR_ERR_NO_STORAGE_VOL, VIR_ERR_NO_STORAGE_POOL -> new NotFoundException(message);
            case VIR_ERR_STORAGE_VOL_EXIST, VIR_ERR_RESOURCE_BUSY, VIR_ERR_OPERATION_INVALID -> new ConflictException(message);
            case VIR_ERR_NO_SUPPORT, VIR_ERR_OPERATION_UNSUPPORTED, VIR_ERR_CONFIG_UNSUPPORTED, VIR_ERR_ARGUMENT_UNSUPPORTED ->
                new UnsupportedFeatureException(null, message);
            default -> new BackendFailureException(message, e);
        };
    }
}
