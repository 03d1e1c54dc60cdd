package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.limiquantix.node.api.ConsoleInfo;
import io.limiquantix.node.api.GraphicsSpec;
import io.limiquantix.node.api.VmSpec;
import io.limiquantix.node.runtime.NodeService;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.net.http.WebSocketHandshakeException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The proxy's WebSocket side in the same Jetty 12 the node runs (embedded from Felix HTTP's jar), against a
 * stand-in console ("mock VNC": a TCP server that sends the RFB banner and then echoes) so that the byte path
 * can be checked exactly: fragmented client messages, ping/pong, a 1 MiB burst from the console, close in both
 * directions, and ticket refusals before the upgrade. The real QEMU VNC server is {@link ConsoleProxyIT}'s.
 */
class ConsoleWebSocketMockVncTest {
    Server jetty;
    ServerSocket vnc;
    int httpPort;
    ConsoleTickets tickets;
    String vmId;
    /** Completed when the stand-in console of the latest connection reads the end of its stream. */
    volatile CompletableFuture<Void> consoleEnded = new CompletableFuture<>();

    @BeforeEach
    void start() throws Exception {
        vnc = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(() -> {
            while (!vnc.isClosed()) {
                try {
                    Socket s = vnc.accept();
                    CompletableFuture<Void> ended = new CompletableFuture<>();
                    consoleEnded = ended;
                    Thread echo = new Thread(() -> echo(s, ended), "mock-vnc-echo");
                    echo.setDaemon(true);
                    echo.start();
                } catch (Exception e) {
                    return;
                }
            }
        }, "mock-vnc-accept");
        accept.setDaemon(true);
        accept.start();

        InMemoryTestNodeService memory = new InMemoryTestNodeService();
        vmId = memory.createVm(VmSpec.builder("console-vm").vcpus(1).memoryMiB(128).graphics(GraphicsSpec.vnc()).build()).id();
        int port = vnc.getLocalPort();
        NodeService node = (NodeService) java.lang.reflect.Proxy.newProxyInstance(NodeService.class.getClassLoader(),
            new Class<?>[] {NodeService.class}, (proxy, method, args) -> {
                if (method.getName().equals("consoleInfo"))
                    return new ConsoleInfo(GraphicsSpec.Type.VNC, "127.0.0.1", port, "secret12", null);
                try {
                    return method.invoke(memory, args);
                } catch (java.lang.reflect.InvocationTargetException e) {
                    throw e.getCause();
                }
            });
        tickets = new ConsoleTickets();
        ConsoleProxy consoles = new ConsoleProxy(() -> node, tickets);
        jetty = new Server();
        ServerConnector connector = new ServerConnector(jetty);
        connector.setHost("127.0.0.1");
        connector.setPort(0);
        jetty.addConnector(connector);
        ServletContextHandler context = new ServletContextHandler();
        context.addServlet(new ServletHolder((jakarta.servlet.Servlet) ConsoleServlet.create(consoles)), ConsoleProxy.PREFIX + "/*");
        jetty.setHandler(context);
        jetty.start();
        httpPort = connector.getLocalPort();
        this.consoles = consoles;
    }

    ConsoleProxy consoles;

    private static void echo(Socket s, CompletableFuture<Void> ended) {
        try (s) {
            OutputStream out = s.getOutputStream();
            out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            byte[] b = new byte[8192];
            int n;
            while ((n = in.read(b)) >= 0) {
                if (n == 4 && new String(b, 0, 4, StandardCharsets.US_ASCII).equals("BIG!")) {
                    byte[] big = new byte[1 << 20];
                    new Random(3).nextBytes(big);
                    out.write(big);
                } else if (n == 4 && new String(b, 0, 4, StandardCharsets.US_ASCII).equals("BYE!")) {
                    return;
                } else {
                    out.write(b, 0, n);
                }
                out.flush();
            }
            ended.complete(null);
        } catch (Exception e) {
            // the proxy closed
        }
    }

    @AfterEach
    void stop() throws Exception {
        jetty.stop();
        vnc.close();
    }

    String url(String token) {
        return "ws://127.0.0.1:" + httpPort + ConsoleProxy.WS_PATH + "?token=" + token;
    }

    static final class Client implements WebSocket.Listener {
        final ByteArrayOutputStream got = new ByteArrayOutputStream();
        final CompletableFuture<Integer> closed = new CompletableFuture<>();
        final CompletableFuture<byte[]> pong = new CompletableFuture<>();

        @Override
        public synchronized CompletionStage<?> onBinary(WebSocket ws, ByteBuffer data, boolean last) {
            byte[] b = new byte[data.remaining()];
            data.get(b);
            got.writeBytes(b);
            notifyAll();
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onPong(WebSocket ws, ByteBuffer message) {
            byte[] b = new byte[message.remaining()];
            message.get(b);
            pong.complete(b);
            ws.request(1);
            return null;
        }

        @Override
        public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
            closed.complete(status);
            return null;
        }

        synchronized byte[] await(int n) throws InterruptedException {
            long deadline = System.currentTimeMillis() + 30_000;
            while (got.size() < n) {
                long left = deadline - System.currentTimeMillis();
                if (left <= 0) fail("only " + got.size() + " of " + n + " bytes arrived");
                wait(left);
            }
            byte[] all = got.toByteArray();
            got.reset();
            got.write(all, n, all.length - n);
            return Arrays.copyOf(all, n);
        }
    }

    @Test
    void bytesFlowBothWaysThroughTheProxy() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Client c = new Client();
        WebSocket ws = http.newWebSocketBuilder().subprotocols("binary")
            .buildAsync(URI.create(url(tickets.issue(vmId).token())), c).get(30, TimeUnit.SECONDS);
        assertEquals("binary", ws.getSubprotocol());
        assertEquals("RFB 003.008\n", new String(c.await(12), StandardCharsets.US_ASCII));

        // a message in three fragments, echoed back whole
        ws.sendBinary(ByteBuffer.wrap("RFB ".getBytes(StandardCharsets.US_ASCII)), false).get(10, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap("003.".getBytes(StandardCharsets.US_ASCII)), false).get(10, TimeUnit.SECONDS);
        ws.sendBinary(ByteBuffer.wrap("008\n".getBytes(StandardCharsets.US_ASCII)), true).get(10, TimeUnit.SECONDS);
        assertEquals("RFB 003.008\n", new String(c.await(12), StandardCharsets.US_ASCII));

        ws.sendPing(ByteBuffer.wrap(new byte[] {7, 7})).get(10, TimeUnit.SECONDS);
        assertArrayEquals(new byte[] {7, 7}, c.pong.get(10, TimeUnit.SECONDS));

        ws.sendBinary(ByteBuffer.wrap("BIG!".getBytes(StandardCharsets.US_ASCII)), true).get(10, TimeUnit.SECONDS);
        byte[] big = new byte[1 << 20];
        new Random(3).nextBytes(big);
        assertArrayEquals(big, c.await(big.length), "1 MiB from the console arrives intact");

        // the console ends: the client gets a normal close
        ws.sendBinary(ByteBuffer.wrap("BYE!".getBytes(StandardCharsets.US_ASCII)), true).get(10, TimeUnit.SECONDS);
        assertEquals(1000, c.closed.get(30, TimeUnit.SECONDS));
        long deadline = System.currentTimeMillis() + 10_000;
        while (consoles.open() != 0 && System.currentTimeMillis() < deadline) Thread.sleep(20);
        assertEquals(0, consoles.open(), "the session is released");
    }

    @Test
    void theClientClosingClosesTheConsoleConnection() throws Exception {
        Client c = new Client();
        WebSocket ws = HttpClient.newHttpClient().newWebSocketBuilder()
            .buildAsync(URI.create(url(tickets.issue(vmId).token())), c).get(30, TimeUnit.SECONDS);
        assertEquals("", ws.getSubprotocol(), "no subprotocol asked, none answered");
        c.await(12);
        CompletableFuture<Void> ended = consoleEnded;
        ws.sendClose(1000, "done").get(10, TimeUnit.SECONDS);
        assertEquals(1000, c.closed.get(30, TimeUnit.SECONDS), "the proxy answers the close");
        ended.get(30, TimeUnit.SECONDS); // the console side reads the end of its stream
    }

    @Test
    void withdrawingTheProxyEndsOpenSessionsAndRefusesNewOnes() throws Exception {
        Client c = new Client();
        HttpClient http = HttpClient.newHttpClient();
        http.newWebSocketBuilder().buildAsync(URI.create(url(tickets.issue(vmId).token())), c).get(30, TimeUnit.SECONDS);
        c.await(12);
        CompletableFuture<Void> ended = consoleEnded;
        String pending = tickets.issue(vmId).token();
        consoles.closeAll();
        assertEquals(1001, c.closed.get(30, TimeUnit.SECONDS), "going away");
        ended.get(30, TimeUnit.SECONDS);
        try {
            http.newWebSocketBuilder().buildAsync(URI.create(url(pending)), new Client()).get(30, TimeUnit.SECONDS).abort();
            fail("a withdrawn proxy accepted a session");
        } catch (ExecutionException e) {
            assertEquals(503, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
        }
    }

    @Test
    void badTicketsAreRefusedBeforeTheUpgrade() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String token = tickets.issue(vmId).token();
        WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(url(token)), new Client()).get(30, TimeUnit.SECONDS);
        ws.abort();
        for (String bad : new String[] {token, "A".repeat(43), "", "short"}) {
            try {
                http.newWebSocketBuilder().buildAsync(URI.create(url(bad)), new Client()).get(30, TimeUnit.SECONDS).abort();
                fail("accepted " + bad);
            } catch (ExecutionException e) {
                assertTrue(e.getCause() instanceof WebSocketHandshakeException, String.valueOf(e.getCause()));
                assertEquals(403, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
            }
        }
        // only base64 offered: refused 400 and the ticket is not spent
        String kept = tickets.issue(vmId).token();
        try {
            http.newWebSocketBuilder().subprotocols("base64").buildAsync(URI.create(url(kept)), new Client()).get(30, TimeUnit.SECONDS);
            fail("accepted base64");
        } catch (ExecutionException e) {
            assertEquals(400, ((WebSocketHandshakeException) e.getCause()).getResponse().statusCode());
        }
        http.newWebSocketBuilder().buildAsync(URI.create(url(kept)), new Client()).get(30, TimeUnit.SECONDS).abort();
    }
}
