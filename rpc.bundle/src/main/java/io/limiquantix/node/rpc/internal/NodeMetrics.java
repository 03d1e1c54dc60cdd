package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.rpc.internal.PrometheusText.Family;
import io.limiquantix.node.rpc.internal.PrometheusText.Type;
import io.limiquantix.node.runtime.BackendStats;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.runtime.VmRecord;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code /metrics} says: the node (backends, VM counts by state, ledger size, the JVM) and every VM's
 * counters from one statistics sweep per backend ({@link NodeService#stats()}). VM samples carry the labels
 * {@code vm_id}, {@code vm_name} (the node's name for it) and {@code backend}.
 */
final class NodeMetrics {
    private NodeMetrics() {}

    static String scrape(NodeService node) {
        PrometheusText p = new PrometheusText();
        long t0 = System.nanoTime();
        List<BackendView> backends = node.backends();
        List<VmRecord> vms = node.listVms();
        List<BackendStats> stats;
        try {
            stats = node.stats();
        } catch (io.limiquantix.node.api.UnsupportedFeatureException e) {
            stats = List.of(); // a NodeService of API 1.0: node metrics only
        }
        nodeMetrics(p, backends, vms, stats);
        vmMetrics(p, vms, stats);
        jvm(p);
        p.family("limiquantix_scrape_duration_seconds", Type.GAUGE, "Time the node took to collect these metrics.")
            .add((System.nanoTime() - t0) / 1e9);
        return p.write();
    }

    static void nodeMetrics(PrometheusText p, List<BackendView> backends, List<VmRecord> vms, List<BackendStats> stats) {
        Family capable = p.family("limiquantix_backend_capable", Type.GAUGE, "1 if the backend can run VMs on this host.");
        Family healthy = p.family("limiquantix_backend_healthy", Type.GAUGE, "1 if the backend is healthy (placement uses it).");
        Family ranking = p.family("limiquantix_backend_ranking", Type.GAUGE, "The backend's service.ranking.");
        Family count = p.family("limiquantix_backend_vms", Type.GAUGE, "VMs the ledger places on the backend.");
        for (BackendView b : backends) {
            capable.add(b.capabilities() != null && b.capabilities().capable() ? 1 : 0, "backend", b.name(), "type", b.type());
            healthy.add(b.health() != null && b.health().isHealthy() ? 1 : 0, "backend", b.name(), "type", b.type());
            ranking.add(b.ranking(), "backend", b.name());
            count.add(b.vmCount(), "backend", b.name());
        }
        p.family("limiquantix_backends", Type.GAUGE, "Backends registered on the node.").add(backends.size());
        Map<VmState, Integer> byState = new EnumMap<>(VmState.class);
        for (VmState s : VmState.values()) byState.put(s, 0);
        for (VmRecord r : vms) byState.merge(r.state(), 1, Integer::sum);
        Family states = p.family("limiquantix_vms", Type.GAUGE, "VMs in the node's ledger by state.");
        byState.forEach((s, n) -> states.add(n, "state", s.name().toLowerCase(java.util.Locale.ROOT)));
        p.family("limiquantix_ledger_vms", Type.GAUGE, "VMs recorded in the node's ledger.").add(vms.size());
        Family ok = p.family("limiquantix_stats_sweep_success", Type.GAUGE, "1 if the backend's last statistics sweep answered.");
        Family took = p.family("limiquantix_stats_sweep_seconds", Type.GAUGE, "How long the backend's statistics sweep took.");
        for (BackendStats s : stats) {
            ok.add(s.reported() ? 1 : 0, "backend", s.backend());
            took.add(s.sweepNanos() / 1e9, "backend", s.backend());
        }
    }

    static void vmMetrics(PrometheusText p, List<VmRecord> vms, List<BackendStats> stats) {
        Map<String, VmRecord> known = new HashMap<>();
        for (VmRecord r : vms) known.put(r.id(), r);
        Family info = p.family("limiquantix_vm_info", Type.GAUGE, "One per VM a backend reports; 'state' as the sweep read it.");
        Family cpu = p.family("limiquantix_vm_cpu_seconds_total", Type.COUNTER, "CPU time used by the VM (guest and emulator).");
        Family vcpus = p.family("limiquantix_vm_vcpus", Type.GAUGE, "vCPUs online.");
        Family balloon = p.family("limiquantix_vm_memory_balloon_bytes", Type.GAUGE, "Memory the guest has now (balloon current).");
        Family max = p.family("limiquantix_vm_memory_maximum_bytes", Type.GAUGE, "Memory the guest may have (balloon maximum).");
        Family rss = p.family("limiquantix_vm_memory_rss_bytes", Type.GAUGE, "The VM's resident memory on the host.");
        Family avail = p.family("limiquantix_vm_memory_available_bytes", Type.GAUGE, "Memory available to the guest, as it reports it.");
        Family unused = p.family("limiquantix_vm_memory_unused_bytes", Type.GAUGE, "Memory the guest leaves unused, as it reports it.");
        Family rdB = p.family("limiquantix_vm_disk_read_bytes_total", Type.COUNTER, "Bytes read from the disk.");
        Family wrB = p.family("limiquantix_vm_disk_write_bytes_total", Type.COUNTER, "Bytes written to the disk.");
        Family rdR = p.family("limiquantix_vm_disk_read_requests_total", Type.COUNTER, "Read requests to the disk.");
        Family wrR = p.family("limiquantix_vm_disk_write_requests_total", Type.COUNTER, "Write requests to the disk.");
        Family rxB = p.family("limiquantix_vm_network_receive_bytes_total", Type.COUNTER, "Bytes received by the VM's interface.");
        Family txB = p.family("limiquantix_vm_network_transmit_bytes_total", Type.COUNTER, "Bytes sent by the VM's interface.");
        Family rxP = p.family("limiquantix_vm_network_receive_packets_total", Type.COUNTER, "Packets received by the VM's interface.");
        Family txP = p.family("limiquantix_vm_network_transmit_packets_total", Type.COUNTER, "Packets sent by the VM's interface.");
        for (BackendStats b : stats) {
            for (VmStats s : b.vms()) {
                VmRecord r = known.get(s.id());
                String name = r != null ? r.name() : s.name();
                String[] l = {"vm_id", s.id(), "vm_name", name, "backend", b.backend()};
                info.add(1, cat(l, "state", s.state().name().toLowerCase(java.util.Locale.ROOT)));
                if (!s.state().isActive() && s.state() != VmState.CRASHED) continue;
                cpu.add(s.cpuTimeNanos() / 1e9, l);
                present(vcpus, s.vcpus(), 1, l);
                VmStats.Memory m = s.memory();
                present(balloon, m.currentKiB(), 1024, l);
                present(max, m.maximumKiB(), 1024, l);
                present(rss, m.rssKiB(), 1024, l);
                present(avail, m.availableKiB(), 1024, l);
                present(unused, m.unusedKiB(), 1024, l);
                for (VmStats.Disk d : s.disks()) {
                    String[] dl = cat(l, "disk", d.name());
                    present(rdB, d.readBytes(), 1, dl);
                    present(wrB, d.writeBytes(), 1, dl);
                    present(rdR, d.readRequests(), 1, dl);
                    present(wrR, d.writeRequests(), 1, dl);
                }
                for (VmStats.Nic n : s.nics()) {
                    String[] nl = cat(l, "interface", n.name());
                    present(rxB, n.rxBytes(), 1, nl);
                    present(txB, n.txBytes(), 1, nl);
                    present(rxP, n.rxPackets(), 1, nl);
                    present(txP, n.txPackets(), 1, nl);
                }
            }
        }
    }

    static void jvm(PrometheusText p) {
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        p.family("jvm_memory_heap_used_bytes", Type.GAUGE, "Heap in use.").add(heap.getUsed());
        p.family("jvm_memory_heap_committed_bytes", Type.GAUGE, "Heap committed by the JVM.").add(heap.getCommitted());
        if (heap.getMax() >= 0) p.family("jvm_memory_heap_max_bytes", Type.GAUGE, "The heap's limit.").add(heap.getMax());
        p.family("jvm_threads_live", Type.GAUGE, "Live threads in the node's JVM.").add(ManagementFactory.getThreadMXBean().getThreadCount());
        p.family("process_uptime_seconds", Type.GAUGE, "How long the node's JVM has been running.")
            .add(ManagementFactory.getRuntimeMXBean().getUptime() / 1e3);
    }

    private static void present(Family f, long value, long scale, String[] labels) {
        if (value != VmStats.ABSENT) f.add((double) value * scale, labels);
    }

    private static String[] cat(String[] a, String name, String value) {
        String[] out = java.util.Arrays.copyOf(a, a.length + 2);
        out[a.length] = name;
        out[a.length + 1] = value;
        return out;
    }
}
