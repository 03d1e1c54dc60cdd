package io.limiquantix.node.systest;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A Unix-socket relay in front of libvirtd's socket, owned by the test: cutting it is, for the node, exactly a
 * libvirtd that died (every connection drops, new ones are refused), and reopening it a libvirtd that came back —
 * without touching the machine's shared libvirtd, which other tests use. It also counts the node's connections.
 */
final class UnixRelay implements AutoCloseable {
    private final Path listen;
    private final Path upstream;
    private final List<SocketChannel> open = new CopyOnWriteArrayList<>();
    private volatile ServerSocketChannel server;
    private volatile Thread acceptor;

    UnixRelay(Path listen, Path upstream) {
        this.listen = listen;
        this.upstream = upstream;
    }

    synchronized UnixRelay up() throws IOException {
        if (server != null) return this;
        Files.deleteIfExists(listen);
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(listen));
        server = s;
        acceptor = new Thread(() -> accept(s), "relay-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    /** libvirtd "dies": the socket disappears and every relayed connection is closed. */
    synchronized void down() throws IOException {
        ServerSocketChannel s = server;
        server = null;
        if (s != null) s.close();
        for (SocketChannel c : open) c.close();
        open.clear();
        Files.deleteIfExists(listen);
    }

    /** Client connections currently relayed (each one pairs with one upstream connection). */
    int connections() {
        return (int) open.stream().filter(SocketChannel::isOpen).count() / 2;
    }

    private void accept(ServerSocketChannel s) {
        while (s.isOpen()) {
            try {
                SocketChannel client = s.accept();
                SocketChannel up = SocketChannel.open(UnixDomainSocketAddress.of(upstream));
                open.add(client);
                open.add(up);
                pump(client, up);
                pump(up, client);
            } catch (IOException e) {
                return;
            }
        }
    }

    private void pump(SocketChannel from, SocketChannel to) {
        Thread t = new Thread(() -> {
            ByteBuffer b = ByteBuffer.allocate(64 << 10);
            try {
                while (from.read(b) >= 0) {
                    b.flip();
                    while (b.hasRemaining()) to.write(b);
                    b.clear();
                }
            } catch (IOException ignored) {
                // closed by down() or by the peer
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
                open.remove(from);
                open.remove(to);
            }
        }, "relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        down();
    }
}
