package io.limiquantix.node.api;

import io.limiquantix.node.api.internal.Checks;
import java.util.regex.Pattern;

/** A network interface attached either to a libvirt-style virtual network or to a host bridge. */
public record NicSpec(String network, String bridge, Model model, String mac) {
    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    public enum Model { VIRTIO, E1000E, RTL8139 }

    public NicSpec {
        Checks.optionalName("network", network);
        Checks.optionalName("bridge", bridge);
        if ((network == null) == (bridge == null))
            throw new InvalidArgumentException("network", "exactly one of network and bridge must be set");
        model = model == null ? Model.VIRTIO : model;
        if (mac != null) {
            if (!MAC.matcher(mac).matches())
                throw new InvalidArgumentException("mac", "must be six lower-case hex pairs separated by ':'");
            if ((Integer.parseInt(mac.substring(0, 2), 16) & 1) != 0)
                throw new InvalidArgumentException("mac", "must be a unicast address (first octet even)");
        }
    }

    public static NicSpec network(String network) {
        return new NicSpec(network, null, Model.VIRTIO, null);
    }
}
