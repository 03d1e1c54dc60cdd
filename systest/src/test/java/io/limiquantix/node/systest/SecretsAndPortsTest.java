package io.limiquantix.node.systest;

import static io.limiquantix.node.systest.NodeProcess.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Descriptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import io.limiquantix.node.rpc.v1.NodeDaemonProto;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import io.limiquantix.node.rpc.v1.VmSpec;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Least privilege and secrets on the real node process (issue #10): secret files are 0600; no secret shows in
 * the node's log, in API answers or in domain XML; every HTTP path the node serves and its gRPC port refuse a
 * caller without the token (or with a wrong one) and do nothing for it.
 */
class SecretsAndPortsTest {
    private static final String PREFIX = "lq10s-" + UUID.randomUUID().toString().substring(0, 6) + "-";
    private static NodeProcess node;
    private static Path home;

    @BeforeAll
    static void start() throws Exception {
        NodeProcess.requireOrSkip(Virsh.available(), "a libvirtd answering on qemu:///system");
        home = Files.createTempDirectory("lq-secrets-");
        node = new NodeProcess(home).start();
    }

    @AfterAll
    static void stop() throws Exception {
        if (node == null) return;
        try {
            for (var v : node.vms()) if (str(v, "name").startsWith(PREFIX)) node.call("DeleteVM", "{\"vm\":\"" + str(v, "id") + "\"}");
        } finally {
            node.stop();
            Virsh.purge(PREFIX);
            try (Stream<Path> s = Files.walk(home)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Files that hold a secret by their name: the token, the Web Console password, keys, secrets. */
    private static boolean secretName(Path p) {
        String n = p.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return n.contains("token") || n.contains("password") || n.contains("secret") || n.endsWith(".key") || n.contains("keyring");
    }

    @Test
    void secretFilesAreOwnerOnlyAndNothingIsWorldWritable() throws Exception {
        List<String> seen = new ArrayList<>();
        int secrets = 0;
        try (Stream<Path> s = Files.walk(node.data)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                seen.add(node.data.relativize(p) + " " + PosixFilePermissions.toString(perms));
                assertFalse(perms.contains(PosixFilePermission.OTHERS_WRITE) || perms.contains(PosixFilePermission.GROUP_WRITE),
                    p + " is writable by others: " + PosixFilePermissions.toString(perms));
                if (secretName(p)) {
                    secrets++;
                    assertEquals("rw-------", PosixFilePermissions.toString(perms), p + " holds a secret");
                }
            }
        }
        System.out.println("files in the data directory: " + seen);
        assertTrue(secrets >= 1, "the rpc-token at least: " + seen);
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.data.resolve("rpc-token"))));
        // The ledger names every VM and its disks: owner-only as well.
        if (Files.exists(node.data.resolve("ledger.json")))
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(node.data.resolve("ledger.json"))));
    }

    /** Every secret value the node holds: the token, and the Web Console password when that bundle is present. */
    private static Map<String, String> secrets() throws Exception {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("rpc-token", node.token());
        try (Stream<Path> files = Files.walk(node.data)) {
            for (Path p : files.filter(Files::isRegularFile).filter(SecretsAndPortsTest::secretName).toList()) {
                String v = Files.readString(p).strip();
                if (v.length() >= 8 && !v.contains("\n")) s.put(node.data.relativize(p).toString(), v);
            }
        }
        return s;
    }

    @Test
    void noSecretInLogsAnswersOrDomainXml() throws Exception {
        String vm = PREFIX + "vnc";
        String spec = NodeProcess.guestSpec(vm, "qemu").replace("\"placement\"", "\"graphics\":{\"type\":\"TYPE_VNC\"},\"placement\"");
        NodeProcess.Reply created = node.call("CreateVM", spec);
        assertTrue(created.ok(), created.body());
        assertTrue(node.call("StartVM", "{\"vm\":\"" + vm + "\"}").ok());
        NodeProcess.Reply console = node.call("GetConsole", "{\"vm\":\"" + vm + "\"}");
        assertTrue(console.ok(), console.body());
        String vncPassword = console.json().has("password") ? console.json().get("password").getAsString() : "";
        assertTrue(vncPassword.length() >= 8, "a per-VM VNC password: " + console.body());

        List<String> answers = new ArrayList<>();
        for (String m : List.of("GetHealth", "GetNodeInfo", "ListVMs", "ListPlacementDecisions"))
            answers.add(m + ": " + node.call(m, "{}").body());
        answers.add("GetVM: " + node.call("GetVM", "{\"vm\":\"" + vm + "\"}").body());
        answers.add("wrong token: " + node.call("ListVMs", "{}", "Bearer x" + node.token(), Duration.ofSeconds(30)).body());
        String xml = Virsh.xml(vm); // without --security-info: what any libvirt reader sees
        String secureXml = Virsh.run("dumpxml", "--security-info", vm).out();
        node.call("ForceStopVM", "{\"vm\":\"" + vm + "\"}");
        String log = Files.readString(node.log);

        Map<String, String> secrets = secrets();
        System.out.println("secrets checked: " + secrets.keySet() + " and the VNC password");
        for (Map.Entry<String, String> s : secrets.entrySet()) {
            assertFalse(log.contains(s.getValue()), s.getKey() + " appears in the node's log");
            for (String a : answers) assertFalse(a.contains(s.getValue()), s.getKey() + " appears in an API answer: " + a);
            assertFalse(secureXml.contains(s.getValue()), s.getKey() + " appears in the domain XML");
        }
        assertFalse(log.contains(vncPassword), "the VNC password appears in the node's log");
        for (String a : answers) assertFalse(a.contains(vncPassword), "the VNC password appears in an answer other than GetConsole: " + a);
        assertFalse(xml.contains(vncPassword), "the VNC password is readable without --security-info");
        assertTrue(secureXml.contains(vncPassword), "control: libvirt holds the VNC password (security info)");
    }

    /** Every unary API method as JSON, plus every other path the node's HTTP server may serve. */
    private static List<String> httpPaths() {
        List<String> paths = new ArrayList<>();
        for (Descriptors.MethodDescriptor m : NodeDaemonProto.getDescriptor().findServiceByName("NodeDaemonService").getMethods())
            paths.add("/limiquantix.node.v1.NodeDaemonService/" + m.getName());
        paths.addAll(List.of("/", "/limiquantix.node.v1.NodeDaemonService/", "/limiquantix.node.v1.NodeDaemonService",
            "/metrics", "/system/console", "/system/console/bundles", "/system/console/configMgr", "/system/console/hypervisors",
            "/system/console/deploy", "/system/console/vmstat", "/console", "/console/", "/console/ws", "/consoles",
            "/limiquantix/console", "/novnc/vnc.html", "/ws", "/health", "/index.html", "/..;/system/console",
            "/%2e%2e/system/console", "/system/console/../console"));
        return paths;
    }

    @Test
    void everyHttpPathRefusesCallersWithoutTheToken() throws Exception {
        String token = node.token();
        int vmsBefore = node.vms().size();
        Map<String, Integer> answered = new LinkedHashMap<>();
        for (String path : httpPaths()) {
            for (String method : List.of("GET", "POST", "PUT", "DELETE")) {
                for (String auth : new String[] {null, "Bearer ", "Bearer wrong", "Bearer " + token + "x", "Basic YWRtaW46YWRtaW4=",
                        token}) {
                    String what = method + " " + path + " with " + (auth == null ? "no Authorization" : "'" + auth.replace(token, "<token>") + "'");
                    HttpResponse<String> r;
                    try {
                        r = node.raw(method, path, auth);
                    } catch (java.io.IOException e) {
                        // Jetty closes the connection on some malformed requests (ambiguous path segments): nothing served.
                        answered.merge("closed", 1, Integer::sum);
                        assertTrue(node.alive(), what + " killed the node");
                        continue;
                    }
                    answered.merge(r.statusCode() + "", 1, Integer::sum);
                    assertTrue(r.statusCode() >= 400, what + " answered " + r.statusCode() + ": " + r.body());
                    assertFalse(r.body().contains(token), what + " echoed the token");
                    if (path.startsWith("/limiquantix.node.v1.NodeDaemonService/") && path.length() > 40)
                        assertEquals(401, r.statusCode(), what + ": " + r.body());
                }
            }
        }
        assertEquals(vmsBefore, node.vms().size(), "nothing was created");
        System.out.println("unauthenticated HTTP probes (" + httpPaths().size() + " paths x 4 methods x 6 credentials): " + answered);
    }

    @Test
    void theGrpcPortRefusesCallersWithoutTheToken() throws Exception {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort).usePlaintext().build();
        try {
            String token = node.token();
            VmSpec spec = VmSpec.newBuilder().setName(PREFIX + "grpc").build();
            int before = node.vms().size();
            for (String auth : new String[] {null, "", "Bearer ", "Bearer wrong", "Bearer " + token + "x", token, "Basic " + token}) {
                NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub = NodeDaemonServiceGrpc.newBlockingStub(channel)
                    .withDeadlineAfter(30, TimeUnit.SECONDS);
                if (auth != null) {
                    Metadata m = new Metadata();
                    m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), auth);
                    stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m));
                }
                NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub s = stub;
                for (Runnable call : List.<Runnable>of(() -> s.getHealth(GetHealthRequest.getDefaultInstance()),
                        () -> s.listVMs(ListVMsRequest.getDefaultInstance()),
                        () -> s.createVM(CreateVMRequest.newBuilder().setSpec(spec).build()))) {
                    try {
                        call.run();
                        throw new AssertionError("a gRPC call with " + (auth == null ? "no token" : "'" + auth.replace(token, "<token>") + "'")
                            + " was answered");
                    } catch (StatusRuntimeException e) {
                        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), e.getStatus().toString());
                        assertFalse(String.valueOf(e.getStatus().getDescription()).contains(token), "the refusal echoes the token");
                    }
                }
            }
            assertEquals(before, node.vms().size(), "nothing was created");
            // Control: the same channel with the token is answered.
            Metadata m = new Metadata();
            m.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + token);
            assertTrue(NodeDaemonServiceGrpc.newBlockingStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(m))
                .withDeadlineAfter(30, TimeUnit.SECONDS).getHealth(GetHealthRequest.getDefaultInstance()).getServing());
        } finally {
            channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void theApiListensOnLoopbackOnly() throws Exception {
        String ss = new String(new ProcessBuilder("ss", "-ltnpH").start().getInputStream().readAllBytes());
        for (int port : new int[] {node.grpcPort, node.httpPort}) {
            List<String> lines = ss.lines().filter(l -> l.contains(":" + port + " ")).toList();
            assertFalse(lines.isEmpty(), "port " + port + " is listening: " + ss);
            for (String l : lines) assertTrue(l.matches(".*\\s(127\\.0\\.0\\.1|\\[::ffff:127\\.0\\.0\\.1]|\\[::1]):" + port + "\\s.*"),
                "port " + port + " beyond loopback: " + l);
        }
        assertNotEquals(0, node.grpcPort);
    }
}
