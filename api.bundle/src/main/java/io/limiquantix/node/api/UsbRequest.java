package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;

/** A host USB device passed through, by vendor:product id or by bus and device number. */
public record UsbRequest(String vendorProduct, int bus, int device) {
    public UsbRequest {
        if (vendorProduct != null) {
            if (!GpuRequest.VENDOR_DEVICE.matcher(vendorProduct).matches())
                throw new InvalidArgumentException("vendorProduct", "must look like 046d:c52b (lower-case hex)");
            if (bus != 0 || device != 0) throw new InvalidArgumentException("bus", "give vendorProduct or bus/device, not both");
        } else {
            Checks.range("bus", bus, 1, 255);
            Checks.range("device", device, 1, 255);
        }
    }
}
