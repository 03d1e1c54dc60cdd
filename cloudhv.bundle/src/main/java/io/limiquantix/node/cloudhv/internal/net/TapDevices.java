package io.limiquantix.node.cloudhv.internal.net;

import java.io.IOException;

/**
 * The host side of a VM's NICs: persistent tap devices, each a port of a Linux bridge. Cloud Hypervisor
 * opens a tap by name and, when the name does not exist, creates a private one that is on no bridge and
 * disappears with the VMM; so the backend creates every tap, on its bridge, before the VMM is asked to
 * create the VM, and removes it when the VM is deleted. An interface so tests can stand in for the kernel.
 */
public interface TapDevices {
    /** Whether taps can be managed at all here (the tool is installed); a backend without it offers no NICs. */
    boolean usable();

    boolean exists(String tap) throws IOException;

    /**
     * Creates tap {@code tap} as a port of {@code bridge} and sets it up. Fails, naming the bridge, when the
     * bridge does not exist or is not a bridge, and when the tap name is taken; leaves no tap behind on failure.
     */
    void create(String tap, String bridge) throws IOException;

    /** Removes tap {@code tap}; one that does not exist is not an error. */
    void remove(String tap) throws IOException;
}
