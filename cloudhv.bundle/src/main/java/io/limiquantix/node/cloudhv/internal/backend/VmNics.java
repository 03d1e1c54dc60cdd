package io.limiquantix.node.cloudhv.internal.backend;

import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.NicSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.cloudhv.internal.net.TapDevices;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.logging.Logger;

/**
 * A VM's NICs on the host: one tap per NIC, named {@code lqch<first 8 hex digits of the VM id><index>}
 * (at most 14 characters: Linux allows 15), a port of the NIC's bridge. The name is derived, never stored,
 * so the taps of a VM are found again after the node restarts. A NIC without a MAC gets a locally
 * administered unicast one derived from the VM id and the NIC's index, written into the stored spec when the
 * VM is defined, so the guest sees the same MAC on every boot.
 */
final class VmNics {
    private static final Logger LOG = Logger.getLogger(VmNics.class.getName());
    static final String TAP_PREFIX = "lqch";

    private VmNics() {}

    static String tapName(String vmId, int index) {
        return TAP_PREFIX + vmId.substring(0, 8) + index;
    }

    /** From a hash of the VM id and index: stable without being stored, and 46 free bits make a clash between VMs negligible. */
    static String generatedMac(String vmId, int index) {
        byte[] h;
        try {
            h = MessageDigest.getInstance("SHA-256").digest((vmId + "/nic/" + index).getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] mac = new byte[6];
        System.arraycopy(h, 0, mac, 0, 6);
        mac[0] = (byte) ((mac[0] & 0xfc) | 0x02); // locally administered (bit 1), unicast (bit 0 clear)
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }

    static String mac(String vmId, int index, NicSpec nic) {
        return nic.mac() != null ? nic.mac() : generatedMac(vmId, index);
    }

    /** The spec with every NIC's MAC filled in: what is stored, so the MACs are part of the VM's definition. */
    static VmSpec withMacs(VmSpec s) {
        if (s.nics().stream().allMatch(n -> n.mac() != null)) return s;
        List<NicSpec> nics = new ArrayList<>();
        for (int i = 0; i < s.nics().size(); i++) {
            NicSpec n = s.nics().get(i);
            nics.add(new NicSpec(n.network(), n.bridge(), n.model(), mac(s.id(), i, n)));
        }
        return new VmSpec(s.id(), s.name(), s.cpu(), s.memory(), s.os(), s.firmware(), s.boot(), s.disks(), nics, s.graphics(),
            s.serialConsole(), s.gpus(), s.usb(), s.nestedVirtualization(), s.placement(), s.labels(), s.hostDevices());
    }

    /** Creates every tap of a VM being defined; on failure removes the ones it made and throws. */
    static void create(TapDevices taps, VmSpec spec) {
        List<String> made = new ArrayList<>();
        for (int i = 0; i < spec.nics().size(); i++) {
            String tap = tapName(spec.id(), i);
            try {
                taps.create(tap, spec.nics().get(i).bridge());
                made.add(tap);
            } catch (IOException e) {
                removeQuietly(taps, made);
                throw new BackendFailureException("cannot set up nics[" + i + "] of VM " + spec.id() + ": " + e.getMessage(), e);
            }
        }
    }

    /**
     * Before a VMM is started for the VM: the taps are not persistent across host reboots, so any that is
     * missing is created again, on its bridge. One that exists is left as it is.
     */
    static void ensure(TapDevices taps, VmSpec spec) {
        for (int i = 0; i < spec.nics().size(); i++) {
            String tap = tapName(spec.id(), i);
            try {
                if (!taps.exists(tap)) taps.create(tap, spec.nics().get(i).bridge());
            } catch (IOException e) {
                throw new BackendFailureException("cannot set up nics[" + i + "] of VM " + spec.id() + ": " + e.getMessage(), e);
            }
        }
    }

    /** Removes every tap of a VM being deleted; throws (VM left defined, so the delete can be retried) on failure. */
    static void remove(TapDevices taps, VmSpec spec) {
        for (int i = 0; i < spec.nics().size(); i++) {
            String tap = tapName(spec.id(), i);
            try {
                taps.remove(tap);
            } catch (IOException e) {
                throw new BackendFailureException("cannot remove tap " + tap + " of VM " + spec.id() + ": " + e.getMessage(), e);
            }
        }
    }

    static void removeQuietly(TapDevices taps, List<String> names) {
        for (String tap : names) {
            try {
                taps.remove(tap);
            } catch (IOException e) {
                LOG.warning("cannot remove tap " + tap + " after a failed VM definition: " + e.getMessage());
            }
        }
    }

    static List<String> tapNames(VmSpec spec) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < spec.nics().size(); i++) out.add(tapName(spec.id(), i));
        return out;
    }
}
