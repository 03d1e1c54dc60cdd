package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.util.JsonFormat;
import io.grpc.ManagedChannel;
import io.limiquantix.node.rpc.v1.Backend;
import io.limiquantix.node.rpc.v1.BootSource;
import io.limiquantix.node.rpc.v1.ConsoleInfo;
import io.limiquantix.node.rpc.v1.ConsoleSession;
import io.limiquantix.node.rpc.v1.CpuSpec;
import io.limiquantix.node.rpc.v1.CreateConsoleSessionRequest;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.GetNodeInfoRequest;
import io.limiquantix.node.rpc.v1.GraphicsSpec;
import io.limiquantix.node.rpc.v1.ListVMsRequest;
import io.limiquantix.node.rpc.v1.MemorySpec;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import io.limiquantix.node.rpc.v1.ReadSerialConsoleRequest;
import io.limiquantix.node.rpc.v1.SerialConsoleChunk;
import io.limiquantix.node.rpc.v1.Vm;
import io.limiquantix.node.rpc.v1.VmRequest;
import io.limiquantix.node.rpc.v1.VmSpec;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console WebSocket proxy end to end in a real node: Felix with Felix HTTP (Jetty 12), the api, core, libvirt
 * and rpc bundles, a libvirt backend on qemu:///system and a TCG guest with a VNC console (per-VM password).
 * <ol>
 * <li>{@code CreateConsoleSession} (gRPC) gives a path with a one-time ticket; a Java WebSocket client
 * ({@code java.net.http}) through the proxy reads {@code RFB 003.008} from QEMU's VNC server, authenticates with
 * the password from {@code GetConsole} (VNC DES challenge) and gets the server's framebuffer size; a wrong
 * password is refused by QEMU; a reused, unknown, missing and expired ticket is refused 403 before any upgrade;
 * a request that is not a WebSocket handshake is 400 and leaves its ticket usable.</li>
 * <li>noVNC ({@code @novnc/novnc} from {@code run/lib/novnc.sh}) in headless Chromium connects through the proxy
 * (ticket obtained over JSON), authenticates, and the screenshot (DevTools {@code Page.captureScreenshot}) has more
 * than one colour.</li>
 * <li>{@code ReadSerialConsole} returns the guest's serial output ({@code GUEST-UP}).</li>
 * <li>The password and the tickets appear in no log record, and the password in no VM listing.</li>
 * </ol>
 * Skips loudly without libvirtd, the guest payload, Chromium or npm, unless LQ_REQUIRE_REAL=1.
 */
class ConsoleProxyIT {
    static final String GUEST_DIR = System.getenv().getOrDefault("LQ_GUEST_DIR", "/var/lib/limiquantix/test-guest");
    static final Path CHROMIUM = Path.of(System.getenv().getOrDefault("LQ_CHROMIUM", "/usr/bin/chromium"));
    static final Path REPO = Path.of("").toAbsolutePath().getParent();

    @TempDir Path storage;

    private static void require(boolean present, String what) {
        if (present) return;
        String msg = "REAL PART MISSING: " + what + " (./run/test installs and starts it)";
        System.err.println("*** " + msg);
        if ("1".equals(System.getenv("LQ_REQUIRE_REAL"))) fail(msg);
        Assumptions.assumeTrue(false, msg);
    }

    /** Every log record of the node (java.util.logging / System.Logger), to check that no secret is in one. */
    static final class Records extends Handler {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final SimpleFormatter format = new SimpleFormatter();

        @Override
        public void publish(LogRecord r) {
            lines.add(format.format(r));
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    @Test
    void noVncAndAJavaClientReachAGuestsVncThroughTheProxy() throws Exception {
        require(PythonClient.run(List.of("virsh", "-c", "qemu:///system", "version"), 60).exit() == 0,
            "a libvirtd answering on qemu:///system");
        Path kernel = Path.of(GUEST_DIR, "vmlinuz");
        Path initrd = Path.of(GUEST_DIR, "initramfs.gz");
        require(Files.isRegularFile(kernel) && Files.isRegularFile(initrd), "the test guest in " + GUEST_DIR);
        require(Files.isExecutable(CHROMIUM), "Chromium at " + CHROMIUM + " (Debian package chromium; or set LQ_CHROMIUM)");
        // run/lib/novnc.sh fetches @novnc/novnc once into the cache (run/work/novnc, as ./run/test's $LQ_STATE/novnc)
        String cache = System.getenv().getOrDefault("LQ_NOVNC_CACHE", REPO.resolve("run/work/novnc").toString());
        PythonClient.Result novnc = PythonClient.run(List.of(REPO.resolve("run/lib/novnc.sh").toString(), cache), 300);
        require(novnc.exit() == 0, "noVNC from run/lib/novnc.sh (npm @novnc/novnc): " + novnc.out());
        Path novncDir = Path.of(novnc.out().strip().lines().reduce((a, b) -> b).orElseThrow());

        Records records = new Records();
        Logger root = Logger.getLogger("");
        root.addHandler(records);
        Set<String> secrets = ConcurrentHashMap.newKeySet();
        int grpc = FelixNode.freePort();
        int http = FelixNode.freePort();
        Path data = storage.resolve("data");
        System.setProperty("lq.console.bundles", bundles());
        String vmId = null;
        long t0 = System.nanoTime();
        try (FelixNode felix = new FelixNode(storage, "lq.console.bundles", Map.of(
                "limiquantix.data", data.toString(),
                "limiquantix.rpc.port", Integer.toString(grpc),
                "org.osgi.service.http.port", Integer.toString(http),
                "org.apache.felix.http.host", "127.0.0.1",
                "limiquantix.libvirt.defaults", "false",
                "limiquantix.storage.roots", "/var/lib/limiquantix"))) {
            felix.configure("io.limiquantix.node.libvirt", true,
                Map.of("name", "console-qemu", "uri", "qemu:///system", "ranking", 100, "accel", "auto"));
            FelixNode.eventually(30, () -> FelixNode.listening(grpc) && FelixNode.listening(http), "gRPC and HTTP to listen");
            String token = Files.readString(data.resolve("rpc-token")).strip();
            ManagedChannel channel = FelixNode.channel(grpc);
            try {
                FelixNode.eventually(120, () -> capable(channel, token), "backend console-qemu to become capable and healthy");
                NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub api = FelixNode.stub(channel, token)
                    .withDeadlineAfter(300, TimeUnit.SECONDS);
                String name = "lq-console-" + UUID.randomUUID().toString().substring(0, 8);
                VmSpec spec = VmSpec.newBuilder().setName(name).setCpu(CpuSpec.newBuilder().setVcpus(1))
                    .setMemory(MemorySpec.newBuilder().setSizeMib(128))
                    .setBoot(BootSource.newBuilder().setKind(BootSource.Kind.KIND_KERNEL).setKernel(kernel.toString())
                        .setInitrd(initrd.toString()).setCmdline("console=tty0 console=ttyS0 panic=-1"))
                    .setGraphics(GraphicsSpec.newBuilder().setType(GraphicsSpec.Type.TYPE_VNC))
                    .setSerialConsole(com.google.protobuf.BoolValue.of(true)).build();
                Vm vm = api.createVM(CreateVMRequest.newBuilder().setSpec(spec).build());
                vmId = vm.getId();
                System.err.printf("[console-it] created %s after %d s%n", vmId, secondsSince(t0));
                String vmRef = name;
                NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub api2 = api;

                // no console session for a VM that is not running
                io.grpc.StatusRuntimeException notRunning = org.junit.jupiter.api.Assertions.assertThrows(
                    io.grpc.StatusRuntimeException.class,
                    () -> api2.createConsoleSession(CreateConsoleSessionRequest.newBuilder().setVm(vmRef).build()));
                assertEquals(io.grpc.Status.Code.FAILED_PRECONDITION, notRunning.getStatus().getCode(), notRunning.getMessage());

                api.startVM(VmRequest.newBuilder().setVm(vmId).build());
                ConsoleInfo console = api.getConsole(VmRequest.newBuilder().setVm(vmId).build());
                assertEquals(GraphicsSpec.Type.TYPE_VNC, console.getType());
                assertTrue(console.getPort() > 0, console.toString());
                String password = console.getPassword();
                assertEquals(8, password.length(), "VNC's per-VM password (VNC uses 8 characters)");
                secrets.add(password);
                for (Vm listed : api.listVMs(ListVMsRequest.getDefaultInstance()).getVmsList()) {
                    assertFalse(listed.toString().contains(password), "the password is in ListVMs");
                    assertFalse(JsonFormat.printer().print(listed).contains(password), "the password is in ListVMs");
                }
                assertFalse(api.getVM(VmRequest.newBuilder().setVm(vmId).build()).toString().contains(password),
                    "the password is in GetVM");

                // a ticket that will have expired by the end
                ConsoleSession late = session(api, vmId);
                secrets.add(late.getToken());
                assertEquals("/limiquantix/console/ws?token=" + late.getToken(), late.getPath());
                assertEquals(vmId, late.getVmId());
                assertEquals(GraphicsSpec.Type.TYPE_VNC, late.getType());
                Instant expires = Instant.ofEpochSecond(late.getExpiresAt().getSeconds(), late.getExpiresAt().getNanos());
                long lifetime = expires.getEpochSecond() - Instant.now().getEpochSecond();
                assertTrue(lifetime > 20 && lifetime <= 30, "a ticket lasts 30 s: " + lifetime);

                String base = "ws://127.0.0.1:" + http;
                HttpClient client = HttpClient.newHttpClient();

                // the handshake on the wire, as a browser sends it
                ConsoleSession raw = session(api, vmId);
                secrets.add(raw.getToken());
                String head = rawHandshake(http, raw.getPath());
                assertTrue(head.startsWith("HTTP/1.1 101"), head);
                assertTrue(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="), head);

                // (1) the Java client: RFB banner, VNC authentication with the per-VM password, ServerInit
                ConsoleSession first = session(api, name); // by name works too
                secrets.add(first.getToken());
                try (Rfb rfb = Rfb.open(client, URI.create(base + first.getPath()))) {
                    assertEquals("binary", rfb.ws.getSubprotocol(), "the binary subprotocol noVNC/websockify use");
                    assertEquals("RFB 003.008\n", new String(rfb.read(12), StandardCharsets.US_ASCII));
                    int[] size = rfb.authenticate(password);
                    assertTrue(size[0] > 0 && size[1] > 0, "ServerInit with a framebuffer: " + Arrays.toString(size));
                    System.err.printf("[console-it] RFB through the proxy: %dx%d after %d s%n", size[0], size[1], secondsSince(t0));
                }
                assertEquals(403, refusedStatus(client, base + first.getPath()), "a used ticket");
                assertEquals(403, refusedStatus(client, base + "/limiquantix/console/ws?token=" + "A".repeat(43)), "an unknown ticket");
                assertEquals(403, refusedStatus(client, base + "/limiquantix/console/ws"), "no ticket");

                // not a WebSocket handshake: 400, and the ticket survives it
                ConsoleSession second = session(api, vmId);
                secrets.add(second.getToken());
                HttpResponse<String> plain = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                    + second.getPath())).GET().build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(400, plain.statusCode(), plain.body());
                try (Rfb rfb = Rfb.open(client, URI.create(base + second.getPath()))) {
                    assertEquals("RFB 003.008\n", new String(rfb.read(12), StandardCharsets.US_ASCII));
                    assertEquals(1, rfb.securityResult("wrongpw!"), "QEMU refuses a wrong VNC password");
                }

                // (3) the serial console, read over the API
                String serial = readSerialUntil(api, vmId, "GUEST-UP", 180);
                assertTrue(serial.contains("GUEST-UP"), serial);

                // (2) noVNC in headless Chromium, with a ticket asked for over JSON
                Path shot = Path.of("target", "console-novnc.png").toAbsolutePath();
                int colours = noVnc(novncDir, http, token, vmId, password, secrets, shot);
                assertTrue(colours > 1, "the noVNC screenshot is blank (" + colours + " colour); see " + shot);
                System.err.printf("[console-it] noVNC screenshot: %d colours, %s, after %d s%n", colours, shot, secondsSince(t0));

                // the early ticket has expired by now (or soon): refused
                long wait = expires.toEpochMilli() - System.currentTimeMillis() + 500;
                if (wait > 0) Thread.sleep(wait);
                assertEquals(403, refusedStatus(client, base + late.getPath()), "an expired ticket");

                api.forceStopVM(VmRequest.newBuilder().setVm(vmId).build());
                api.deleteVM(VmRequest.newBuilder().setVm(vmId).build());
                vmId = null;
            } finally {
                channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
        } finally {
            root.removeHandler(records);
            if (vmId != null) {
                PythonClient.run(List.of("virsh", "-c", "qemu:///system", "destroy", vmId), 60);
                PythonClient.run(List.of("virsh", "-c", "qemu:///system", "undefine", vmId, "--nvram"), 60);
            }
        }
        assertTrue(records.lines.stream().anyMatch(l -> l.contains("console of VM")), "the proxy logs its sessions");
        for (String line : records.lines)
            for (String secret : secrets)
                assertFalse(line.contains(secret), "a secret (password or ticket) is in a log record: " + line);
        System.err.printf("[console-it] total %d s%n", secondsSince(t0));
    }

    /** A handshake over a plain socket (RFC 6455's sample key); what arrives within 20 s, as text. */
    private static String rawHandshake(int port, String path) throws IOException {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            s.setSoTimeout(20_000);
            s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
                + "Sec-WebSocket-Protocol: binary\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            byte[] b = new byte[4096];
            try {
                int n;
                while (got.size() < 4096 && (n = s.getInputStream().read(b)) > 0) {
                    got.write(b, 0, n);
                    String text = got.toString(StandardCharsets.ISO_8859_1);
                    int end = text.indexOf("\r\n\r\n");
                    // the head and the first frame (the RFB banner: 2 + 12 bytes)
                    if (end >= 0 && got.size() >= end + 4 + 14) break;
                }
            } catch (java.net.SocketTimeoutException e) {
                System.err.println("[console-it] raw handshake: nothing more after 20 s");
            }
            String text = got.toString(StandardCharsets.ISO_8859_1);
            System.err.println("[console-it] raw handshake answer:\n" + text.replace("\r", "\\r"));
            return text;
        }
    }

    private static long secondsSince(long t0) {
        return TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
    }

    /** The IT bundles: Felix HTTP's set plus JNA and the libvirt backend, rpc last. */
    private static String bundles() {
        List<String> http = List.of(System.getProperty("lq.http.bundles").split(","));
        LinkedHashSet<String> all = new LinkedHashSet<>(http.subList(0, http.size() - 1));
        all.addAll(List.of(System.getProperty("lq.realnode.bundles").split(",")));
        return String.join(",", all);
    }

    private static ConsoleSession session(NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub api, String vm) {
        return api.createConsoleSession(CreateConsoleSessionRequest.newBuilder().setVm(vm).build());
    }

    private static boolean capable(ManagedChannel channel, String token) {
        for (Backend b : FelixNode.stub(channel, token).getNodeInfo(GetNodeInfoRequest.getDefaultInstance()).getBackendsList())
            if (b.getName().equals("console-qemu") && b.getCapabilities().getCapable()
                && b.getHealth().getStatus() == io.limiquantix.node.rpc.v1.BackendHealth.Status.STATUS_HEALTHY) return true;
        return false;
    }

    private static String readSerialUntil(NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub api, String vm, String marker,
                                          int seconds) throws InterruptedException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        long offset = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            SerialConsoleChunk c = api.readSerialConsole(ReadSerialConsoleRequest.newBuilder().setVm(vm).setOffset(offset)
                .setMaxBytes(4096).build());
            assertTrue(c.getData().size() <= 4096, "maxBytes is honoured");
            assertEquals(offset + c.getData().size(), c.getNextOffset());
            all.writeBytes(c.getData().toByteArray());
            offset = c.getNextOffset();
            if (all.toString(StandardCharsets.UTF_8).contains(marker)) return all.toString(StandardCharsets.UTF_8);
            if (c.getData().isEmpty()) Thread.sleep(500);
        }
        return all.toString(StandardCharsets.UTF_8);
    }

    /** The HTTP status a WebSocket handshake to {@code url} was refused with (fails if it was accepted). */
    private static int refusedStatus(HttpClient client, String url) throws Exception {
        try {
            WebSocket ws = client.newWebSocketBuilder().subprotocols("binary").buildAsync(URI.create(url), new WebSocket.Listener() {
            }).get(30, TimeUnit.SECONDS);
            ws.abort();
            fail("the proxy accepted " + url.replaceAll("token=.*", "token=..."));
            return 0;
        } catch (ExecutionException e) {
            if (e.getCause() instanceof WebSocketHandshakeException h) return h.getResponse().statusCode();
            throw e;
        }
    }

    /** A minimal RFB client over a java.net.http WebSocket. */
    static final class Rfb implements WebSocket.Listener, AutoCloseable {
        WebSocket ws;
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private int consumed;
        private boolean closed;

        /** Opens the WebSocket; the listener never blocks (the client may call it before buildAsync completes). */
        static Rfb open(HttpClient client, URI uri) throws Exception {
            Rfb rfb = new Rfb();
            rfb.ws = client.newWebSocketBuilder().subprotocols("binary").buildAsync(uri, rfb).get(30, TimeUnit.SECONDS);
            return rfb;
        }

        @Override
        public CompletionStage<?> onBinary(WebSocket w, ByteBuffer data, boolean last) {
            synchronized (this) {
                byte[] b = new byte[data.remaining()];
                data.get(b);
                received.writeBytes(b);
                notifyAll();
            }
            w.request(1);
            return null;
        }

        @Override
        public synchronized CompletionStage<?> onClose(WebSocket w, int status, String reason) {
            closed = true;
            notifyAll();
            return null;
        }

        synchronized byte[] read(int n) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (received.size() - consumed < n) {
                if (closed) fail("the proxy closed the WebSocket after " + received.size() + " bytes");
                long left = deadline - System.nanoTime();
                if (left <= 0) fail("timed out waiting for " + n + " bytes from the console");
                wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
            }
            byte[] out = Arrays.copyOfRange(received.toByteArray(), consumed, consumed + n);
            consumed += n;
            return out;
        }

        void send(byte[] b) throws Exception {
            ws.sendBinary(ByteBuffer.wrap(b), true).get(30, TimeUnit.SECONDS);
        }

        /** After the banner: version, security type 2 (VNC authentication), the challenge answered; the result. */
        int securityResult(String password) throws Exception {
            send("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            int count = read(1)[0] & 0xFF;
            assertTrue(count > 0, "the server offers security types");
            byte[] types = read(count);
            assertTrue(new String(types, StandardCharsets.ISO_8859_1).indexOf(2) >= 0,
                "VNC authentication offered: " + Arrays.toString(types));
            for (byte t : types) assertNotEquals(1, t, "a VNC console with a password must not offer 'None'");
            send(new byte[] {2});
            byte[] challenge = read(16);
            send(des(password, challenge));
            return ByteBuffer.wrap(read(4)).getInt();
        }

        /** Authenticates, sends ClientInit (shared) and returns the ServerInit's width and height. */
        int[] authenticate(String password) throws Exception {
            assertEquals(0, securityResult(password), "the per-VM password from GetConsole is accepted");
            send(new byte[] {1});
            ByteBuffer init = ByteBuffer.wrap(read(24));
            int width = init.getShort(0) & 0xFFFF, height = init.getShort(2) & 0xFFFF;
            int nameLength = init.getInt(20);
            read(nameLength);
            return new int[] {width, height};
        }

        /** VNC authentication: the challenge DES-encrypted with the password, each key byte's bits reversed. */
        static byte[] des(String password, byte[] challenge) throws Exception {
            byte[] key = new byte[8];
            byte[] pw = password.getBytes(StandardCharsets.ISO_8859_1);
            for (int i = 0; i < 8 && i < pw.length; i++) key[i] = (byte) (Integer.reverse(pw[i] & 0xFF) >>> 24);
            Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
            des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
            return des.doFinal(challenge);
        }

        @Override
        public void close() {
            ws.abort();
        }
    }

    /**
     * noVNC in headless Chromium: a page served from a local file server imports noVNC's RFB module and opens the
     * proxy URL that a CreateConsoleSession over JSON returned; DevTools (over a java.net.http WebSocket) polls the
     * page's state and takes the screenshot. Returns the number of colours in the screenshot.
     */
    private int noVnc(Path novncDir, int http, String apiToken, String vmId, String password, Set<String> secrets, Path shot)
            throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpResponse<String> created = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + http
                + "/limiquantix.node.v1.NodeDaemonService/CreateConsoleSession"))
            .header("Authorization", "Bearer " + apiToken).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString("{\"vm\":\"" + vmId + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(200, created.statusCode(), created.body());
        JsonObject session = JsonParser.parseString(created.body()).getAsJsonObject();
        secrets.add(session.get("token").getAsString());
        String wsUrl = "ws://127.0.0.1:" + http + session.get("path").getAsString();

        String page = "<!doctype html><html><head><meta charset='utf-8'></head>"
            + "<body style='margin:0;background:#fff'><div id='screen' style='width:1024px;height:768px'></div>"
            + "<script type='module'>\n"
            + "import RFB from './novnc/core/rfb.js';\n"
            + "window.lq = {state: 'loading'};\n"
            + "try {\n"
            + "  const rfb = new RFB(document.getElementById('screen'), " + jsString(wsUrl) + ",\n"
            + "    {credentials: {password: " + jsString(password) + "}, wsProtocols: ['binary']});\n"
            + "  rfb.addEventListener('connect', () => window.lq.state = 'connected');\n"
            + "  rfb.addEventListener('disconnect', e => window.lq.state = 'disconnected clean=' + e.detail.clean);\n"
            + "  rfb.addEventListener('securityfailure', e => window.lq.state = 'securityfailure ' + e.detail.reason);\n"
            + "  rfb.addEventListener('credentialsrequired', () => window.lq.state = 'credentialsrequired');\n"
            + "} catch (e) { window.lq.state = 'error ' + e; }\n"
            + "window.lq.colours = () => { const c = document.querySelector('#screen canvas'); if (!c || !c.width) return 0;\n"
            + "  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; const s = new Set();\n"
            + "  for (let i = 0; i < d.length; i += 4) s.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]); return s.size; };\n"
            + "</script></body></html>";
        com.sun.net.httpserver.HttpServer files = com.sun.net.httpserver.HttpServer.create(
            new InetSocketAddress("127.0.0.1", 0), 16);
        files.createContext("/", exchange -> {
            String p = exchange.getRequestURI().getPath();
            byte[] body;
            String type;
            if (p.equals("/index.html")) {
                body = page.getBytes(StandardCharsets.UTF_8);
                type = "text/html";
            } else if (p.startsWith("/novnc/") && !p.contains("..")) {
                Path f = novncDir.resolve(p.substring("/novnc/".length()));
                if (!Files.isRegularFile(f)) {
                    exchange.sendResponseHeaders(404, -1);
                    exchange.close();
                    return;
                }
                body = Files.readAllBytes(f);
                type = p.endsWith(".js") ? "text/javascript" : "application/octet-stream";
            } else {
                exchange.sendResponseHeaders(404, -1);
                exchange.close();
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", type);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        files.start();
        Path profile = Files.createTempDirectory(storage, "chromium");
        Process chromium = new ProcessBuilder(CHROMIUM.toString(), "--headless", "--no-sandbox", "--disable-gpu",
            "--no-first-run", "--no-default-browser-check", "--disable-dev-shm-usage", "--user-data-dir=" + profile,
            "--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1", "--window-size=1024,768",
            "http://127.0.0.1:" + files.getAddress().getPort() + "/index.html").redirectErrorStream(true).start();
        StringBuilder chromiumOut = new StringBuilder();
        try {
            int devtools = devtoolsPort(chromium, chromiumOut);
            JsonObject target = null;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (target == null && System.nanoTime() < deadline) {
                String list = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + devtools + "/json/list")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
                for (var e : JsonParser.parseString(list).getAsJsonArray())
                    if (e.getAsJsonObject().get("type").getAsString().equals("page")
                        && e.getAsJsonObject().get("url").getAsString().endsWith("/index.html")) target = e.getAsJsonObject();
                if (target == null) Thread.sleep(200);
            }
            assertTrue(target != null, "Chromium opened the page");
            try (Cdp cdp = Cdp.open(client, target.get("webSocketDebuggerUrl").getAsString())) {
                String state = "";
                int canvasColours = 0;
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (System.nanoTime() < deadline) {
                    JsonObject r = cdp.call("Runtime.evaluate", "{\"expression\":\"JSON.stringify({s: window.lq ? window.lq.state : 'no page',"
                        + " c: window.lq && window.lq.colours ? window.lq.colours() : 0})\",\"returnByValue\":true}");
                    JsonObject v = JsonParser.parseString(r.getAsJsonObject("result").getAsJsonObject("result").get("value")
                        .getAsString()).getAsJsonObject();
                    state = v.get("s").getAsString();
                    canvasColours = v.get("c").getAsInt();
                    if (state.equals("connected") && canvasColours > 1) break;
                    if (state.startsWith("securityfailure") || state.startsWith("disconnected") || state.startsWith("error")) break;
                    Thread.sleep(500);
                }
                assertEquals("connected", state, "noVNC's state (Chromium said: " + chromiumOut + ")");
                assertTrue(canvasColours > 1, "noVNC's canvas has content: " + canvasColours + " colours");
                JsonObject png = cdp.call("Page.captureScreenshot", "{\"format\":\"png\"}");
                byte[] bytes = Base64.getDecoder().decode(png.getAsJsonObject("result").get("data").getAsString());
                Files.createDirectories(shot.getParent());
                Files.write(shot, bytes);
                BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
                Set<Integer> colours = new HashSet<>();
                for (int y = 0; y < image.getHeight(); y++)
                    for (int x = 0; x < image.getWidth(); x++) colours.add(image.getRGB(x, y) & 0xFFFFFF);
                return colours.size();
            }
        } finally {
            chromium.destroy();
            if (!chromium.waitFor(10, TimeUnit.SECONDS)) chromium.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            files.stop(0);
        }
    }

    private static String jsString(String s) {
        return new com.google.gson.JsonPrimitive(s).toString();
    }

    /** Reads Chromium's output until it names its DevTools port. */
    private static int devtoolsPort(Process chromium, StringBuilder out) throws Exception {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (InputStream in = chromium.getInputStream()) {
                java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(in, StandardCharsets.UTF_8));
                String line;
                while ((line = r.readLine()) != null) {
                    synchronized (out) {
                        if (out.length() < 20_000) out.append(line).append('\n');
                    }
                    java.util.regex.Matcher m = java.util.regex.Pattern.compile("DevTools listening on ws://127\\.0\\.0\\.1:(\\d+)/").matcher(line);
                    if (m.find()) port.complete(Integer.parseInt(m.group(1)));
                }
                port.completeExceptionally(new IOException("Chromium ended without DevTools: " + out));
            } catch (IOException e) {
                port.completeExceptionally(e);
            }
        }, "chromium-output");
        reader.setDaemon(true);
        reader.start();
        return port.get(60, TimeUnit.SECONDS);
    }

    /** The DevTools protocol over a java.net.http WebSocket: one call at a time. */
    static final class Cdp implements AutoCloseable {
        private final WebSocket ws;
        private final Map<Integer, CompletableFuture<JsonObject>> calls;
        private int next;

        private Cdp(WebSocket ws, Map<Integer, CompletableFuture<JsonObject>> calls) {
            this.ws = ws;
            this.calls = calls;
        }

        static Cdp open(HttpClient client, String url) throws Exception {
            Map<Integer, CompletableFuture<JsonObject>> calls = new ConcurrentHashMap<>();
            StringBuilder text = new StringBuilder();
            WebSocket ws = client.newWebSocketBuilder().buildAsync(URI.create(url), new WebSocket.Listener() {
                @Override
                public CompletionStage<?> onText(WebSocket w, CharSequence data, boolean last) {
                    text.append(data);
                    if (last) {
                        JsonObject m = JsonParser.parseString(text.toString()).getAsJsonObject();
                        text.setLength(0);
                        if (m.has("id")) {
                            CompletableFuture<JsonObject> f = calls.remove(m.get("id").getAsInt());
                            if (f != null) f.complete(m);
                        }
                    }
                    w.request(1);
                    return null;
                }
            }).get(30, TimeUnit.SECONDS);
            return new Cdp(ws, calls);
        }

        synchronized JsonObject call(String method, String params) throws Exception {
            int id = ++next;
            CompletableFuture<JsonObject> f = new CompletableFuture<>();
            calls.put(id, f);
            ws.sendText("{\"id\":" + id + ",\"method\":\"" + method + "\",\"params\":" + params + "}", true).get(30, TimeUnit.SECONDS);
            JsonObject r = f.get(60, TimeUnit.SECONDS);
            if (r.has("error")) fail(method + " failed: " + r.get("error"));
            return r;
        }

        @Override
        public void close() {
            ws.abort();
        }
    }
}
