package io.limiquantix.node.rpc.internal;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.ee10.servlet.ServletContextRequest;
import org.eclipse.jetty.io.AbstractConnection;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.HttpStream;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.util.BufferUtil;
import org.eclipse.jetty.util.FutureCallback;

/**
 * The WebSocket side of one console session, on Jetty 12's own connection upgrade: the Felix HTTP bundle
 * (Jetty 12.0, ee10) does not implement the servlet API's {@code HttpServletRequest.upgrade} ("Not implemented")
 * and ships no WebSocket server, but Jetty replaces the HTTP/1.1 connection of a request that completes with
 * status 101 by the {@link Connection} found in the request attribute {@link HttpStream#UPGRADE_CONNECTION_ATTRIBUTE}
 * (that is how Jetty's own WebSocket server does it). This class is that connection: frames from the browser are
 * parsed by {@link WebSocketProtocol.Parser} (in Jetty's threads) and their payload written to the console's TCP
 * socket; a thread of its own ({@code lq-console-*}) reads the socket and sends binary frames. Either side
 * closing closes both. Loaded only when the servlet runs, i.e. inside Felix HTTP.
 */
final class JettyConsoleConnection extends AbstractConnection implements Connection.UpgradeTo, AutoCloseable {
    private static final System.Logger LOG = System.getLogger(JettyConsoleConnection.class.getName());
    /** An idle console (no byte either way) is closed after this long. */
    static final long IDLE_TIMEOUT_MS = 10 * 60_000;
    static final long WRITE_TIMEOUT_S = 60;

    private final Socket socket;
    private final String vmId;
    private final ConsoleProxy proxy;
    private final ByteBuffer in = BufferUtil.allocate(ConsoleProxy.MAX_CLIENT_FRAME + 14);
    private final WebSocketProtocol.Parser parser;
    private final Object writeLock = new Object();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicLong toVm = new AtomicLong(), fromVm = new AtomicLong();
    private volatile String why = "closed";

    private JettyConsoleConnection(EndPoint endPoint, java.util.concurrent.Executor executor, Socket socket, String vmId,
                                   ConsoleProxy proxy) {
        super(endPoint, executor);
        this.socket = socket;
        this.vmId = vmId;
        this.proxy = proxy;
        this.parser = new WebSocketProtocol.Parser(ConsoleProxy.MAX_CLIENT_FRAME, new WebSocketProtocol.Listener() {
            @Override
            public void data(byte[] payload) {
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(payload);
                    out.flush();
                    toVm.addAndGet(payload.length);
                } catch (IOException e) {
                    finish(WebSocketProtocol.CLOSE_GOING_AWAY, "the console closed: " + e.getMessage());
                }
            }

            @Override
            public void ping(byte[] payload) {
                send(WebSocketProtocol.frame(WebSocketProtocol.OP_PONG, payload, 0, payload.length));
            }

            @Override
            public void pong(byte[] payload) {
                // unsolicited pongs are allowed and ignored
            }

            @Override
            public void close(int code, String reason) {
                finish(code == 1005 ? WebSocketProtocol.CLOSE_NORMAL : code, "the client closed (" + code + ")");
            }
        });
    }

    /**
     * Answers the handshake with 101 and arranges for Jetty to hand the connection over once the response is
     * sent. The socket and the session's slot in {@code proxy} now belong to the connection.
     */
    static void upgrade(HttpServletRequest request, HttpServletResponse response, WebSocketProtocol.Handshake handshake,
                        Socket socket, String vmId, ConsoleProxy proxy) throws IOException {
        ServletContextRequest servletRequest = ServletContextRequest.getServletContextRequest(request);
        if (servletRequest == null) throw new IOException("not a Jetty 12 ee10 request: cannot take over the connection");
        Request core = servletRequest;
        EndPoint endPoint = core.getConnectionMetaData().getConnection().getEndPoint();
        JettyConsoleConnection connection = new JettyConsoleConnection(endPoint,
            core.getConnectionMetaData().getConnector().getExecutor(), socket, vmId, proxy);
        Request.unWrap(core).setAttribute(HttpStream.UPGRADE_CONNECTION_ATTRIBUTE, connection);
        response.setStatus(101);
        response.setHeader("Upgrade", "websocket");
        response.setHeader("Connection", "Upgrade");
        response.setHeader("Sec-WebSocket-Accept", handshake.accept());
        if (handshake.protocol() != null) response.setHeader("Sec-WebSocket-Protocol", handshake.protocol());
    }

    /** Whether this Jetty offers what {@link #upgrade} uses (HTTP/1.1 only: HTTP/2 has no 101). */
    static boolean http11(HttpServletRequest request) {
        return "HTTP/1.1".equals(request.getProtocol());
    }

    @Override
    public void onUpgradeTo(ByteBuffer prefilled) {
        if (prefilled != null && prefilled.hasRemaining()) BufferUtil.append(in, prefilled);
    }

    @Override
    public void onOpen() {
        super.onOpen();
        getEndPoint().setIdleTimeout(IDLE_TIMEOUT_MS);
        proxy.opened(this);
        Thread pump = new Thread(this::pump, "lq-console-" + vmId);
        pump.setDaemon(true);
        pump.start();
        if (in.hasRemaining() && !process()) return;
        fillInterested();
    }

    @Override
    public void onFillable() {
        try {
            while (!closed.get()) {
                if (BufferUtil.space(in) == 0) BufferUtil.compact(in);
                int n = getEndPoint().fill(in);
                if (n < 0) {
                    finish(0, "the client went away");
                    return;
                }
                if (n == 0) {
                    fillInterested();
                    return;
                }
                if (!process()) return;
            }
        } catch (IOException e) {
            finish(0, "reading from the client failed: " + e.getMessage());
        }
    }

    /** Parses what has arrived; false once the session is over. */
    private boolean process() {
        try {
            parser.parse(in);
            if (!in.hasRemaining()) BufferUtil.clear(in);
            return !closed.get();
        } catch (WebSocketProtocol.ProtocolException e) {
            finish(e.code, "protocol error: " + e.getMessage());
            return false;
        }
    }

    /** Console → client: the socket's bytes as binary frames, until either side ends. */
    private void pump() {
        byte[] buffer = new byte[64 * 1024];
        try {
            InputStream from = socket.getInputStream();
            int n;
            while ((n = from.read(buffer)) >= 0) {
                if (n == 0) continue;
                if (!send(WebSocketProtocol.frame(WebSocketProtocol.OP_BINARY, buffer, 0, n))) return;
                fromVm.addAndGet(n);
            }
            finish(WebSocketProtocol.CLOSE_NORMAL, "the console closed");
        } catch (IOException e) {
            finish(WebSocketProtocol.CLOSE_GOING_AWAY, "the console closed: " + e.getMessage());
        }
    }

    /** Sends one frame and waits for it (one write at a time on the endpoint); false if the session is over. */
    private boolean send(ByteBuffer frame) {
        synchronized (writeLock) {
            if (!getEndPoint().isOpen()) return false;
            FutureCallback done = new FutureCallback();
            try {
                getEndPoint().write(done, frame);
                done.get(WRITE_TIMEOUT_S, TimeUnit.SECONDS);
                return true;
            } catch (ExecutionException | TimeoutException | RuntimeException e) {
                why = "writing to the client failed: " + e;
                getEndPoint().close();
                return false;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                getEndPoint().close();
                return false;
            }
        }
    }

    /** Ends the session once: a close frame with {@code code} (0: none, the client is gone), then both sides closed. */
    private void finish(int code, String reason) {
        if (!closed.compareAndSet(false, true)) return;
        why = reason;
        if (code != 0 && getEndPoint().isOpen()) send(WebSocketProtocol.close(code, code == WebSocketProtocol.CLOSE_NORMAL ? "" : reason));
        close(); // AbstractConnection: closes the endpoint, which calls onClose
        closeSocket();
    }

    /** The proxy is withdrawn: tell the client (1001, going away) and end the session. */
    @Override
    public void close() {
        if (closed.get()) {
            super.close();
            return;
        }
        try {
            getExecutor().execute(() -> finish(WebSocketProtocol.CLOSE_GOING_AWAY, "the console proxy stopped"));
        } catch (RuntimeException rejected) {
            finish(WebSocketProtocol.CLOSE_GOING_AWAY, "the console proxy stopped");
        }
    }

    @Override
    public void onClose(Throwable cause) {
        super.onClose(cause);
        closed.set(true);
        closeSocket();
    }

    private final AtomicBoolean socketClosed = new AtomicBoolean();

    private void closeSocket() {
        if (!socketClosed.compareAndSet(false, true)) return;
        try {
            socket.close();
        } catch (IOException e) {
            // nothing to add
        }
        proxy.ended(this);
        proxy.release();
        LOG.log(Level.INFO, "console of VM " + vmId + " closed (" + why + "); " + toVm.get() + " bytes to the VM, "
            + fromVm.get() + " from it");
    }
}
