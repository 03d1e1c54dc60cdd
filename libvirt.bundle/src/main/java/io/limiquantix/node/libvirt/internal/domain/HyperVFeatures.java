package io.limiquantix.node.libvirt.internal.domain;

import io.limiquantix.node.api.Accelerator;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Hyper-V enlightenments a Windows guest gets, by libvirt's names, what QEMU calls them, and which
 * depend on which. The backend probes which ones QEMU accepts on its host under its accelerator
 * ({@code HyperVProbe}); the Windows profile turns on every accepted one whose dependencies are accepted too.
 *
 * <p>Measured with QEMU 7.2: under TCG {@code hv-vpindex} is refused ("kernel doesn't allow setting HyperV
 * VP_INDEX"), so synic, stimer, tlbflush and ipi, which need it, go too; the others are accepted.
 * {@code time} is not a {@code <hyperv>} child but the {@code hypervclock} clock timer (QEMU {@code hv-time}).
 */
public final class HyperVFeatures {
    /** relaxed, vapic and spinlocks: the set every Windows profile (and virt-install) has. */
    public static final List<String> BASE = List.of("relaxed", "vapic", "spinlocks");
    /** The further {@code <hyperv>} children, in the order libvirt writes them. */
    public static final List<String> ORDER = List.of("vpindex", "runtime", "synic", "stimer", "reset", "frequencies", "tlbflush", "ipi");
    /** The hypervclock timer. */
    public static final String TIME = "time";
    /** Every name a probe asks about. */
    public static final List<String> ALL = concat(BASE, ORDER, List.of(TIME));

    /** libvirt's {@code spinlocks retries}: Windows' own default, as virt-install emits it (QEMU takes it in hex). */
    public static final int SPINLOCK_RETRIES = 8191;

    private static final Map<String, List<String>> NEEDS = Map.of(
        "synic", List.of("vpindex"),
        "stimer", List.of("vpindex", "synic", TIME),
        "tlbflush", List.of("vpindex"),
        "ipi", List.of("vpindex"));

    private HyperVFeatures() {}

    /** What is taken for accepted without a probe: everything under KVM; without KVM all but vpindex and what needs it. */
    public static Set<String> assumed(Accelerator accelerator) {
        if (accelerator == Accelerator.KVM) return Set.copyOf(ALL);
        List<String> out = new ArrayList<>(ALL);
        out.removeIf(n -> n.equals("vpindex") || NEEDS.getOrDefault(n, List.of()).contains("vpindex"));
        return Set.copyOf(out);
    }

    /** The QEMU {@code -cpu} properties that try one enlightenment together with what it depends on. */
    public static List<String> qemuFlags(String name) {
        List<String> out = new ArrayList<>();
        for (String dep : NEEDS.getOrDefault(name, List.of())) out.add(qemuFlag(dep));
        out.add(qemuFlag(name));
        return out;
    }

    static String qemuFlag(String name) {
        return name.equals("spinlocks") ? "hv-spinlocks=0x" + Integer.toHexString(SPINLOCK_RETRIES) : "hv-" + name;
    }

    /** The {@code <hyperv>} children beyond relaxed/vapic/spinlocks to turn on, in libvirt's order. */
    public static List<String> usable(Set<String> accepted) {
        List<String> out = new ArrayList<>();
        for (String n : ORDER)
            if (accepted.contains(n) && accepted.containsAll(NEEDS.getOrDefault(n, List.of()))) out.add(n);
        return out;
    }

    private static List<String> concat(List<String> a, List<String> b, List<String> c) {
        List<String> out = new ArrayList<>(a);
        out.addAll(b);
        out.addAll(c);
        return List.copyOf(out);
    }
}
