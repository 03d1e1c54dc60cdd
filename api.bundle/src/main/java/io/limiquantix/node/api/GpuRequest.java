package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;
import java.util.regex.Pattern;

/**
 * A request for host GPUs: by PCI address, by vendor:device id, or by mediated device type, {@code count}
 * of them. A device provider resolves it into host devices.
 */
public record GpuRequest(String pciAddress, String vendorDevice, String mdevType, int count) {
    public static final Pattern PCI_ADDRESS = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\\.[0-7]");
    public static final Pattern VENDOR_DEVICE = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{4}");

    public GpuRequest {
        int set = (pciAddress != null ? 1 : 0) + (vendorDevice != null ? 1 : 0) + (mdevType != null ? 1 : 0);
        if (set != 1) throw new InvalidArgumentException("pciAddress", "exactly one of pciAddress, vendorDevice and mdevType must be set");
        if (pciAddress != null && !PCI_ADDRESS.matcher(pciAddress).matches())
            throw new InvalidArgumentException("pciAddress", "must look like 0000:01:00.0 (lower-case hex)");
        if (vendorDevice != null && !VENDOR_DEVICE.matcher(vendorDevice).matches())
            throw new InvalidArgumentException("vendorDevice", "must look like 10de:1db6 (lower-case hex)");
        Checks.optionalName("mdevType", mdevType);
        Checks.range("count", count, 1, 16);
        if (pciAddress != null && count != 1) throw new InvalidArgumentException("count", "must be 1 when pciAddress is given");
    }
}
