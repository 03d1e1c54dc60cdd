package io.limiquantix.node.libvirt.internal.backend;

import io.limiquantix.node.api.Accelerator;
import io.limiquantix.node.libvirt.internal.domain.HyperVFeatures;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Logger;

/**
 * Which Hyper-V enlightenments QEMU accepts on this host under an accelerator, found by asking QEMU itself:
 * {@code qemu-system-x86_64 -accel <tcg|kvm> -cpu <max|host>,hv-… -S} with a monitor that quits at once.
 * Exit 0 means accepted; a refusal ("kernel doesn't allow setting HyperV VP_INDEX" for hv-vpindex under
 * TCG) exits 1 before any guest code runs. All of them are tried together first (one run, ~0.3 s); only if
 * that fails each one is tried with what it depends on ({@link HyperVFeatures#qemuFlags}). Cached per
 * accelerator for the life of the bundle and, when {@link #storeVerdictsIn} named the node's data directory, on
 * disk ({@link HyperVVerdictStore}), so a reconnect, a swap of the bundle or a node restart on an unchanged
 * host runs no QEMU. Null (the profile's assumption applies) without a local QEMU.
 */
final class HyperVProbe {
    private static final Logger LOG = Logger.getLogger(HyperVProbe.class.getName());
    private static final long TIMEOUT_SECONDS = 20;
    /** The fixed part of the probe's command line (the accelerator and the -cpu list are added). */
    private static final List<String> FIXED_ARGS = List.of("-machine", "q35", "-nodefaults", "-no-user-config", "-display", "none",
        "-S", "-monitor", "stdio");
    /** The probe's version in stored keys: what it asks QEMU. Changes when the features or the command change. */
    static final String VERSION = version();
    /** QEMU processes started by this probe since the class loaded (tests check that a stored verdict runs none). */
    static final AtomicInteger QEMU_RUNS = new AtomicInteger();
    /** Per accelerator; an empty Optional: QEMU could not be run, nothing is known. */
    private static final Map<Accelerator, Optional<Set<String>>> CACHE = new ConcurrentHashMap<>();
    /** One probe at a time (waiting for it can be interrupted: a backend closing); {@link #known} never waits for it. */
    private static final ReentrantLock PROBING = new ReentrantLock();
    private static volatile HyperVVerdictStore store;

    private HyperVProbe() {}

    /** Keeps verdicts in {@code dataDir} ({@link HyperVVerdictStore}); null: in memory only. Forgets the memory cache. */
    static void storeVerdictsIn(Path dataDir) {
        store = dataDir == null ? null : HyperVVerdictStore.in(dataDir);
        CACHE.clear();
    }

    /**
     * True when {@link #accepted} would answer without running QEMU (remembered, stored with the current key,
     * or nothing to ask). Never waits for a probe in progress.
     */
    static boolean known(Accelerator accelerator) {
        if (accelerator != Accelerator.KVM && accelerator != Accelerator.TCG) return true;
        if (CACHE.containsKey(accelerator)) return true;
        HyperVVerdictStore s = store;
        Set<String> stored = s == null ? null : s.load(accelerator);
        if (stored == null) return false;
        CACHE.putIfAbsent(accelerator, Optional.of(stored));
        return true;
    }

    static Set<String> accepted(Accelerator accelerator) {
        if (accelerator != Accelerator.KVM && accelerator != Accelerator.TCG) return null;
        Optional<Set<String>> c = CACHE.get(accelerator);
        if (c != null) return c.orElse(null);
        try {
            PROBING.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
        try {
            c = CACHE.get(accelerator);
            if (c != null) return c.orElse(null);
            HyperVVerdictStore s = store;
            Set<String> found = loadOrProbe(s, s == null ? KvmProbe.QEMU : s.qemu(), accelerator);
            // An interrupted probe (the backend closing) proved nothing: ask again next time.
            if (!Thread.currentThread().isInterrupted()) CACHE.put(accelerator, Optional.ofNullable(found));
            return found;
        } finally {
            PROBING.unlock();
        }
    }

    /** The verdict stored in {@code s} under the current key, else a probe of {@code qemu} (then stored in {@code s}). */
    static Set<String> loadOrProbe(HyperVVerdictStore s, Path qemu, Accelerator accelerator) {
        Set<String> stored = s == null ? null : s.load(accelerator);
        if (stored != null) return stored;
        Set<String> found = probe(qemu, accelerator);
        if (found != null && s != null && !Thread.currentThread().isInterrupted()) s.save(accelerator, found);
        return found;
    }

    private static String version() {
        List<Object> asked = new ArrayList<>(FIXED_ARGS);
        for (String n : HyperVFeatures.ALL) asked.add(HyperVFeatures.qemuFlags(n));
        return "1/" + Integer.toHexString(asked.hashCode());
    }

    /** Null when QEMU cannot be run at all (then nothing is known). */
    static Set<String> probe(Path qemu, Accelerator accelerator) {
        if (!Files.isExecutable(qemu)) return null;
        List<String> all = new ArrayList<>();
        for (String n : HyperVFeatures.ALL) all.add(hvFlag(n));
        Boolean together = accepts(qemu, accelerator, all);
        if (together == null) return null;
        Set<String> out = new TreeSet<>();
        if (together) {
            out.addAll(HyperVFeatures.ALL);
        } else {
            for (String n : HyperVFeatures.ALL) {
                Boolean ok = accepts(qemu, accelerator, HyperVFeatures.qemuFlags(n));
                if (ok == null) return null;
                if (ok) out.add(n);
            }
        }
        List<String> refused = new ArrayList<>(HyperVFeatures.ALL);
        refused.removeAll(out);
        LOG.info("Hyper-V enlightenments QEMU accepts under " + accelerator + ": " + out
            + (refused.isEmpty() ? "" : "; refused: " + refused));
        return Set.copyOf(out);
    }

    private static String hvFlag(String name) {
        List<String> f = HyperVFeatures.qemuFlags(name);
        return f.get(f.size() - 1);
    }

    /** True accepted, false refused, null QEMU did not run or hung. */
    private static Boolean accepts(Path qemu, Accelerator accelerator, List<String> flags) {
        boolean kvm = accelerator == Accelerator.KVM;
        List<String> cmd = new ArrayList<>(List.of(qemu.toString(), "-accel", kvm ? "kvm" : "tcg",
            "-cpu", (kvm ? "host," : "max,") + String.join(",", flags)));
        cmd.addAll(FIXED_ARGS);
        Process p;
        try {
            QEMU_RUNS.incrementAndGet();
            p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        } catch (IOException e) {
            LOG.warning("cannot run " + qemu + " to probe Hyper-V enlightenments: " + e.getMessage());
            return null;
        }
        try (OutputStream in = p.getOutputStream()) {
            in.write("quit\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // QEMU refused the options and exited before reading: its exit status tells.
        }
        try {
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                LOG.warning("QEMU did not exit within " + TIMEOUT_SECONDS + " s while probing Hyper-V enlightenments " + flags);
                return null;
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            return null;
        }
        return p.exitValue() == 0;
    }
}
