package io.limiquantix.node.core.internal;

import io.limiquantix.node.api.HypervisorException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.runtime.BackendStats;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * One statistics sweep per backend, all started before the first is awaited, each bounded like any quick
 * backend query ({@link BoundedCalls}). A backend that cannot report, fails or hangs gives an entry with the
 * reason and no VMs; the others are unaffected.
 */
final class StatsCollector {
    private StatsCollector() {}

    static List<BackendStats> collect(List<Backend> backends) {
        List<CompletableFuture<List<VmStats>>> calls = new ArrayList<>();
        long t0 = System.nanoTime();
        for (Backend b : backends) calls.add(b.calls().start(b.hypervisor()::stats));
        List<BackendStats> out = new ArrayList<>();
        for (int i = 0; i < backends.size(); i++) {
            Backend b = backends.get(i);
            try {
                List<VmStats> vms = b.calls().await("statistics of backend " + b.name(), calls.get(i));
                List<VmStats> clean = new ArrayList<>();
                if (vms != null) for (VmStats s : vms) if (s != null) clean.add(s);
                out.add(new BackendStats(b.name(), clean, null, System.nanoTime() - t0));
            } catch (UnsupportedFeatureException e) {
                out.add(new BackendStats(b.name(), List.of(), "does not report VM statistics: " + e.getMessage(), System.nanoTime() - t0));
            } catch (HypervisorException e) {
                out.add(new BackendStats(b.name(), List.of(), e.getMessage(), System.nanoTime() - t0));
            }
        }
        return out;
    }
}
