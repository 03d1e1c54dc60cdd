package io.limiquantix.node.rpc.internal;

import static io.limiquantix.node.rpc.internal.FelixNode.eventually;
import static io.limiquantix.node.rpc.internal.FelixNode.listening;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /metrics} in a real Felix with Felix HTTP, core, rpc and the libvirt backend on qemu:///system: without
 * the token (or with a wrong one) it answers 401 and says nothing; with it, Prometheus text whose
 * {@code limiquantix_vm_cpu_seconds_total} of a real TCG guest (created and started through the JSON API) is
 * above zero, next to the node's metrics. Called with Debian's curl. Fails instead of skipping with
 * LQ_REQUIRE_REAL=1 when libvirtd, the guest payload or curl is missing.
 */
class MetricsOsgiIT {
    static final Path CURL = Path.of(System.getenv().getOrDefault("LQ_CURL", "/usr/bin/curl"));
    static final String GUEST_DIR = System.getenv().getOrDefault("LQ_GUEST_DIR", "/var/lib/limiquantix/test-guest");
    static final String SERVICE = "/limiquantix.node.v1.NodeDaemonService/";

    @TempDir Path storage;

    record Http(int status, String contentType, String body) {
    }

    private static void require(boolean present, String what) {
        if (present) return;
        String msg = "REAL PART MISSING: " + what + " (./run/test installs and starts it)";
        System.err.println("*** " + msg);
        if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(msg);
        Assumptions.assumeTrue(false, msg);
    }

    Http curl(String method, String url, String token, String body) throws Exception {
        Path dir = Files.createTempDirectory(storage, "curl");
        Path headers = dir.resolve("headers");
        Path out = dir.resolve("out");
        Files.writeString(headers, "Content-Type: application/json\n" + (token == null ? "" : "Authorization: Bearer " + token + "\n"));
        List<String> cmd = new ArrayList<>(List.of(CURL.toString(), "-sS", "--max-time", "120", "-X", method,
            "-H", "@" + headers, "-o", out.toString(), "-w", "%{http_code} %{content_type}"));
        if (body != null) {
            Path in = dir.resolve("in");
            Files.writeString(in, body);
            cmd.addAll(List.of("--data-binary", "@" + in));
        }
        cmd.add(url);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String written = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "curl did not finish");
        assertEquals(0, p.exitValue(), "curl failed: " + written);
        int space = written.indexOf(' ');
        return new Http(Integer.parseInt(space < 0 ? written : written.substring(0, space)), space < 0 ? "" : written.substring(space + 1),
            Files.exists(out) ? Files.readString(out) : "");
    }

    @Test
    void metricsOfARealGuestNeedTheToken() throws Exception {
        require(Files.isExecutable(CURL), "curl at " + CURL);
        require(Files.isReadable(Path.of(GUEST_DIR, "vmlinuz")) && Files.isReadable(Path.of(GUEST_DIR, "initramfs.gz")), "the test guest in " + GUEST_DIR);
        Process v = new ProcessBuilder("virsh", "-c", "qemu:///system", "version").redirectErrorStream(true).start();
        v.getInputStream().readAllBytes();
        require(v.waitFor(60, TimeUnit.SECONDS) && v.exitValue() == 0, "a libvirtd answering on qemu:///system");

        int http = FelixNode.freePort();
        int grpc = FelixNode.freePort();
        String metrics = "http://127.0.0.1:" + http + "/metrics";
        String api = "http://127.0.0.1:" + http + SERVICE;
        String vmId = null;
        try (FelixNode felix = new FelixNode(storage, "lq.metrics.bundles", Map.of(
                "limiquantix.data", storage.resolve("data").toString(),
                "limiquantix.rpc.port", Integer.toString(grpc),
                "org.osgi.service.http.port", Integer.toString(http),
                "org.apache.felix.http.host", "127.0.0.1",
                "limiquantix.libvirt.defaults", "false",
                "limiquantix.local.volumes", "false",
                "limiquantix.storage.roots", "/var/lib/limiquantix"))) {
            felix.configure("io.limiquantix.node.libvirt", true,
                Map.of("name", "metrics-qemu", "uri", "qemu:///system", "ranking", 100, "accel", "auto"));
            eventually(60, () -> listening(grpc) && listening(http), "gRPC on " + grpc + " and HTTP on " + http);
            String token = Files.readString(storage.resolve("data/rpc-token")).strip();
            eventually(60, () -> status(metrics, token) == 200, "/metrics to answer 200");

            for (String bad : new String[] {null, "not-the-token-but-long-enough-0000000000"}) {
                Http refused = curl("GET", metrics, bad, null);
                assertEquals(401, refused.status(), refused.body());
                assertFalse(refused.body().contains("limiquantix_"), "a refused scrape says nothing: " + refused.body());
            }
            assertEquals(405, curl("POST", metrics, token, "{}").status());

            eventually(180, () -> scrape(metrics, token).contains("limiquantix_backend_capable{backend=\"metrics-qemu\",type=\"libvirt\"} 1")
                && scrape(metrics, token).contains("limiquantix_backend_healthy{backend=\"metrics-qemu\",type=\"libvirt\"} 1"),
                "backend metrics-qemu to be capable and healthy in /metrics");

            String name = "lq-metrics-" + UUID.randomUUID().toString().substring(0, 8);
            String create = "{\"spec\":{\"name\":\"" + name + "\",\"cpu\":{\"vcpus\":1},\"memory\":{\"sizeMib\":128},"
                + "\"boot\":{\"kind\":\"KIND_KERNEL\",\"kernel\":\"" + GUEST_DIR + "/vmlinuz\",\"initrd\":\"" + GUEST_DIR
                + "/initramfs.gz\",\"cmdline\":\"console=ttyS0 panic=-1\"},\"serialConsole\":true}}";
            Http created = curl("POST", api + "CreateVM", token, create);
            assertEquals(200, created.status(), created.body());
            vmId = JsonParser.parseString(created.body()).getAsJsonObject().get("id").getAsString();
            Http started = curl("POST", api + "StartVM", token, "{\"vm\":\"" + vmId + "\"}");
            assertEquals(200, started.status(), started.body());

            Pattern cpu = Pattern.compile("^limiquantix_vm_cpu_seconds_total\\{vm_id=\"" + vmId + "\",vm_name=\"" + name
                + "\",backend=\"metrics-qemu\"} ([0-9.eE+-]+)$", Pattern.MULTILINE);
            String[] last = {""};
            eventually(120, () -> {
                last[0] = scrape(metrics, token);
                Matcher m = cpu.matcher(last[0]);
                return m.find() && Double.parseDouble(m.group(1)) > 0;
            }, "a non-zero CPU time for " + name + " in /metrics");
            Http ok = curl("GET", metrics, token, null);
            assertEquals(200, ok.status());
            assertTrue(ok.contentType().startsWith("text/plain; version=0.0.4"), ok.contentType());
            for (String family : List.of("limiquantix_vm_cpu_seconds_total counter", "limiquantix_vms gauge", "limiquantix_ledger_vms gauge",
                    "jvm_memory_heap_used_bytes gauge", "jvm_threads_live gauge", "limiquantix_vm_memory_rss_bytes gauge"))
                assertTrue(ok.body().contains("\n# TYPE " + family + "\n"), family + " in\n" + ok.body());
            // The node adopts every domain of qemu:///system, so the gauge counts what libvirt runs (this guest, and any
            // other test's guest still on the shared libvirtd), not only this test's.
            long running = runningDomains();
            assertTrue(running >= 1, "virsh lists this test's guest as running");
            assertTrue(ok.body().contains("limiquantix_vms{state=\"running\"} " + running), "running = " + running + " (virsh) in\n" + ok.body());
            String id = vmId;
            System.out.println("MetricsOsgiIT: " + ok.body().lines().filter(l -> l.contains(id)).toList());
        } finally {
            if (vmId != null) cleanUp(vmId);
        }
    }

    private static long runningDomains() throws Exception {
        Process p = new ProcessBuilder("virsh", "-c", "qemu:///system", "list", "--state-running", "--name").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, "virsh list: " + out);
        return out.lines().filter(l -> !l.isBlank()).count();
    }

    /** The node is gone by now: the guest is removed with virsh. */
    private static void cleanUp(String vmId) throws Exception {
        for (List<String> cmd : List.of(List.of("virsh", "-c", "qemu:///system", "destroy", vmId),
                List.of("virsh", "-c", "qemu:///system", "undefine", "--nvram", vmId))) {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            p.waitFor(60, TimeUnit.SECONDS);
        }
    }

    private String scrape(String url, String token) {
        try {
            Http h = curl("GET", url, token, null);
            return h.status() == 200 ? h.body() : "";
        } catch (Exception e) {
            return "";
        }
    }

    private int status(String url, String token) {
        try {
            return curl("GET", url, token, null).status();
        } catch (Exception e) {
            return -1;
        }
    }
}
