package io.limiquantix.node.gpu.internal;

import java.util.Map;

/**
 * What a 24-bit PCI class code (base class, subclass, programming interface; {@code 030200}) says about a
 * function: whether it is a GPU, a bridge, and a readable name for it.
 */
final class PciClass {
    /** The names lspci gives the classes a GPU host is likely to show; the rest are named by their code. */
    private static final Map<String, String> NAMES = Map.ofEntries(
        Map.entry("0000", "Non-VGA unclassified device"),
        Map.entry("0100", "SCSI storage controller"),
        Map.entry("0101", "IDE interface"),
        Map.entry("0104", "RAID bus controller"),
        Map.entry("0106", "SATA controller"),
        Map.entry("0107", "Serial Attached SCSI controller"),
        Map.entry("0108", "Non-Volatile memory controller"),
        Map.entry("0180", "Mass storage controller"),
        Map.entry("0200", "Ethernet controller"),
        Map.entry("0207", "Infiniband controller"),
        Map.entry("0280", "Network controller"),
        Map.entry("0300", "VGA compatible controller"),
        Map.entry("0301", "XGA compatible controller"),
        Map.entry("0302", "3D controller"),
        Map.entry("0380", "Display controller"),
        Map.entry("0401", "Multimedia audio controller"),
        Map.entry("0403", "Audio device"),
        Map.entry("0480", "Multimedia controller"),
        Map.entry("0500", "RAM memory"),
        Map.entry("0600", "Host bridge"),
        Map.entry("0601", "ISA bridge"),
        Map.entry("0604", "PCI bridge"),
        Map.entry("0609", "PCI bridge"),
        Map.entry("0680", "Bridge"),
        Map.entry("0780", "Communication controller"),
        Map.entry("0880", "System peripheral"),
        Map.entry("0c03", "USB controller"),
        Map.entry("0c05", "SMBus"),
        Map.entry("1200", "Processing accelerators"),
        Map.entry("ffff", "Unassigned class"));

    private PciClass() {}

    /**
     * Display controllers (VGA, XGA, 3D controllers such as data-centre GPUs, other display) and
     * processing accelerators, which are passed through exactly like GPUs.
     */
    static boolean isGpu(String classCode) {
        return classCode.startsWith("03") || classCode.startsWith("12");
    }

    /**
     * PCI-to-PCI bridges (and the semi-transparent kind). The kernel lets a VFIO group contain them whatever
     * driver (pcieport) they have, because they are interconnect, not endpoints a process could use; they
     * are never bound to vfio-pci and never given to a VM.
     */
    static boolean isBridge(String classCode) {
        return classCode.startsWith("0604") || classCode.startsWith("0609");
    }

    static String name(String classCode) {
        String name = NAMES.get(classCode.substring(0, 4));
        return name != null ? name : "PCI class 0x" + classCode;
    }
}
