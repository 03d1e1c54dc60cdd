package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.limiquantix.node.api.BackendHealth;
import io.limiquantix.node.api.HypervisorCapabilities;
import io.limiquantix.node.api.VmState;
import io.limiquantix.node.api.VmStats;
import io.limiquantix.node.runtime.BackendStats;
import io.limiquantix.node.runtime.BackendView;
import io.limiquantix.node.runtime.VmRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The exposition format: HELP/TYPE once per family, samples together, label values escaped so that hostile VM
 * names come back intact through a parser that follows the format (and forge no sample).
 */
class PrometheusTextTest {
    static final List<String> HOSTILE = List.of("a\"b", "back\\slash", "new\nline", "x\"} 1\nforged_metric 666\n#",
        "ünïcødé ☃", "end\\", "{}=,", "\r\tcontrol");

    /** One parsed sample: metric name, labels (unescaped), value text. */
    record Sample(String name, Map<String, String> labels, String value) {
    }

    /** A strict reader of the text format's sample lines (what Prometheus does with them). */
    static List<Sample> parse(String text) {
        List<Sample> out = new ArrayList<>();
        String lastType = null;
        for (String line : text.split("\n", -1)) {
            if (line.isEmpty()) continue;
            if (line.startsWith("# HELP ")) continue;
            if (line.startsWith("# TYPE ")) {
                String[] p = line.split(" ");
                assertEquals(4, p.length, line);
                assertTrue(p[3].equals("counter") || p[3].equals("gauge"), line);
                lastType = p[2];
                continue;
            }
            assertTrue(!line.startsWith("#"), "unexpected comment: " + line);
            int i = 0;
            while (i < line.length() && (Character.isLetterOrDigit(line.charAt(i)) || line.charAt(i) == '_' || line.charAt(i) == ':')) i++;
            String name = line.substring(0, i);
            assertEquals(lastType, name, "a sample outside its family: " + line);
            Map<String, String> labels = new LinkedHashMap<>();
            if (i < line.length() && line.charAt(i) == '{') {
                i++;
                while (line.charAt(i) != '}') {
                    int eq = line.indexOf('=', i);
                    String label = line.substring(i, eq);
                    assertTrue(label.matches("[a-zA-Z_][a-zA-Z0-9_]*"), "label name " + label + " in " + line);
                    i = eq + 1;
                    assertEquals('"', line.charAt(i), line);
                    i++;
                    StringBuilder v = new StringBuilder();
                    while (line.charAt(i) != '"') {
                        char c = line.charAt(i);
                        if (c == '\\') {
                            char n = line.charAt(++i);
                            v.append(switch (n) {
                                case 'n' -> '\n';
                                case '\\' -> '\\';
                                case '"' -> '"';
                                default -> throw new AssertionError("bad escape \\" + n + " in " + line);
                            });
                        } else {
                            v.append(c);
                        }
                        i++;
                    }
                    labels.put(label, v.toString());
                    i++;
                    if (line.charAt(i) == ',') i++;
                }
                i++;
            }
            assertEquals(' ', line.charAt(i), line);
            String value = line.substring(i + 1);
            assertTrue(value.matches("-?[0-9]+(\\.[0-9]+)?(E-?[0-9]+)?|NaN|[+-]Inf"), "value " + value + " in " + line);
            out.add(new Sample(name, labels, value));
        }
        return out;
    }

    @Test
    void hostileLabelValuesRoundTrip() {
        PrometheusText p = new PrometheusText();
        PrometheusText.Family f = p.family("t_metric", PrometheusText.Type.GAUGE, "help with \\ and\nnewline");
        for (int i = 0; i < HOSTILE.size(); i++) f.add(i, "vm_name", HOSTILE.get(i), "n", Integer.toString(i));
        String text = p.write();
        assertTrue(text.contains("# HELP t_metric help with \\\\ and\\nnewline\n"), text);
        List<Sample> samples = parse(text);
        assertEquals(HOSTILE.size(), samples.size(), text);
        for (int i = 0; i < HOSTILE.size(); i++) {
            assertEquals(HOSTILE.get(i), samples.get(i).labels().get("vm_name"));
            assertEquals(Integer.toString(i), samples.get(i).value());
        }
        assertTrue(samples.stream().noneMatch(s -> s.name().startsWith("forged")), text);
    }

    @Test
    void numbersAndNames() {
        assertEquals("0", PrometheusText.number(0));
        assertEquals("12345678901", PrometheusText.number(12345678901d));
        assertEquals("0.5", PrometheusText.number(0.5));
        assertEquals("NaN", PrometheusText.number(Double.NaN));
        assertEquals("+Inf", PrometheusText.number(Double.POSITIVE_INFINITY));
        PrometheusText p = new PrometheusText();
        assertThrows(IllegalArgumentException.class, () -> p.family("bad-name", PrometheusText.Type.GAUGE, "x"));
        assertThrows(IllegalArgumentException.class, () -> p.family("ok", PrometheusText.Type.GAUGE, "x").add(1, "bad-label", "v"));
        assertThrows(IllegalArgumentException.class, () -> p.family("ok", PrometheusText.Type.COUNTER, "x"));
    }

    @Test
    void nodeAndVmMetricsWithHostileNames() {
        HypervisorCapabilities caps = HypervisorCapabilities.notCapable("libvirt", "no");
        List<BackendView> backends = List.of(new BackendView("qemu", "libvirt", 100, 1, caps, BackendHealth.healthy("ok"), 2));
        List<VmRecord> vms = new ArrayList<>();
        List<VmStats> stats = new ArrayList<>();
        for (int i = 0; i < HOSTILE.size(); i++) {
            String id = String.format("00000000-0000-0000-0000-%012d", i);
            vms.add(new VmRecord(id, HOSTILE.get(i), "qemu", i % 2 == 0 ? VmState.RUNNING : VmState.STOPPED, "", null, Instant.EPOCH, true, null));
            stats.add(new VmStats(id, "libvirt-name", i % 2 == 0 ? VmState.RUNNING : VmState.STOPPED, 1, i % 2 == 0 ? 1_500_000_000L : 0,
                new VmStats.Memory(131072, 131072, 90000, -1, -1),
                List.of(new VmStats.Disk("vda", "/x", 512, 0, 1, 0)), List.of(new VmStats.Nic(HOSTILE.get(i), 1, 2, 3, 4))));
        }
        List<BackendStats> sweeps = List.of(new BackendStats("qemu", stats, null, 1_000_000), new BackendStats("ch", List.of(), "cannot", 5));
        PrometheusText p = new PrometheusText();
        NodeMetrics.nodeMetrics(p, backends, vms, sweeps);
        NodeMetrics.vmMetrics(p, vms, sweeps);
        NodeMetrics.jvm(p);
        String text = p.write();
        List<Sample> samples = parse(text);
        for (int i = 0; i < HOSTILE.size(); i += 2) {
            String id = String.format("00000000-0000-0000-0000-%012d", i);
            Sample cpu = samples.stream().filter(s -> s.name().equals("limiquantix_vm_cpu_seconds_total") && id.equals(s.labels().get("vm_id")))
                .findFirst().orElseThrow(() -> new AssertionError(text));
            assertEquals(HOSTILE.get(i), cpu.labels().get("vm_name"), "the ledger's name");
            assertEquals("qemu", cpu.labels().get("backend"));
            assertEquals("1.5", cpu.value());
            int n = i;
            assertTrue(samples.stream().anyMatch(s -> s.name().equals("limiquantix_vm_network_receive_bytes_total")
                && HOSTILE.get(n).equals(s.labels().get("interface"))), text);
            assertTrue(samples.stream().anyMatch(s -> s.name().equals("limiquantix_vm_memory_rss_bytes") && id.equals(s.labels().get("vm_id"))
                && s.value().equals(Long.toString(90000L * 1024))), text);
        }
        assertTrue(samples.stream().noneMatch(s -> s.name().equals("limiquantix_vm_memory_available_bytes")), "absent counters are left out");
        assertTrue(samples.stream().noneMatch(s -> s.name().equals("limiquantix_vm_cpu_seconds_total")
            && s.labels().get("vm_id").endsWith("1")), "stopped VMs have only their info sample");
        assertTrue(samples.contains(new Sample("limiquantix_vms", Map.of("state", "running"), "4")), text);
        assertTrue(samples.contains(new Sample("limiquantix_vms", Map.of("state", "stopped"), "4")), text);
        assertTrue(samples.contains(new Sample("limiquantix_ledger_vms", Map.of(), Integer.toString(HOSTILE.size()))), text);
        assertTrue(samples.contains(new Sample("limiquantix_backend_healthy", Map.of("backend", "qemu", "type", "libvirt"), "1")), text);
        assertTrue(samples.contains(new Sample("limiquantix_stats_sweep_success", Map.of("backend", "ch"), "0")), text);
        assertTrue(samples.stream().anyMatch(s -> s.name().equals("jvm_threads_live")), text);
        // each family's HELP and TYPE appear exactly once
        for (String line : text.split("\n"))
            if (line.startsWith("# TYPE ")) assertEquals(1, text.split("\n" + java.util.regex.Pattern.quote(line) + "\n", -1).length - 1
                + (text.startsWith(line + "\n") ? 1 : 0), line);
    }
}
