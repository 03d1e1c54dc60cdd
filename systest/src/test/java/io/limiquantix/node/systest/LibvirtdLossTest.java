package io.limiquantix.node.systest;

import static io.limiquantix.node.systest.NodeProcess.str;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import io.limiquantix.node.rpc.v1.VmEvent;
import io.limiquantix.node.rpc.v1.WatchEventsRequest;
import io.limiquantix.node.rpc.v1.WatchEventsResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * libvirtd lost and back, at node level (issue #10). The node's only backend reaches the machine's libvirtd
 * through a relay socket this test owns ({@link UnixRelay}); cutting the relay is, for the node, libvirtd dying
 * (connections drop, new ones are refused) and reopening it libvirtd coming back — the shared libvirtd itself
 * is never restarted. Three cuts in a row; each time: health goes red, a call meanwhile is answered within its
 * deadline (503 unavailable or 504 deadline, never a hang or a 500), health goes green again (reconnect with
 * backoff), libvirt events reach a gRPC WatchEvents subscriber again, and the node holds as many libvirtd
 * connections and no more threads than before the cut.
 */
class LibvirtdLossTest {
    private final String prefix = "lq10l-" + UUID.randomUUID().toString().substring(0, 6) + "-";

    @Test
    void theBackendReconnectsAfterLibvirtdIsLostAndNothingLeaks() throws Exception {
        NodeProcess.requireOrSkip(Files.exists(Path.of("/run/libvirt/libvirt-sock")) && Virsh.available(),
            "the machine's libvirtd socket /run/libvirt/libvirt-sock");
        Path home = Files.createTempDirectory("lq-loss-");
        UnixRelay relay = new UnixRelay(home.resolve("libvirt-relay.sock"), Path.of("/run/libvirt/libvirt-sock")).up();
        Files.createDirectories(home.resolve("etc"));
        Files.writeString(home.resolve("etc/io.limiquantix.node.libvirt-relay.cfg"),
            "name=relay\nuri=qemu:///system?socket=" + home.resolve("libvirt-relay.sock") + "\nranking=100\n");
        NodeProcess node = new NodeProcess(home);
        node.ready = new String[] {"relay"};
        ManagedChannel channel = null;
        String vm = prefix + "vm";
        try {
            node.start("-Dlimiquantix.backend.wait=5");
            NodeProcess.Reply created = node.call("CreateVM", NodeProcess.guestSpec(vm, "relay"));
            assertTrue(created.ok(), created.body());

            channel = NettyChannelBuilder.forAddress("127.0.0.1", node.grpcPort).usePlaintext().build();
            Metadata auth = new Metadata();
            auth.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + node.token());
            List<VmEvent> events = new CopyOnWriteArrayList<>();
            NodeDaemonServiceGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(auth))
                .watchEvents(WatchEventsRequest.getDefaultInstance(), new StreamObserver<>() {
                    @Override
                    public void onNext(WatchEventsResponse r) {
                        if (r.hasEvent()) events.add(r.getEvent());
                    }

                    @Override
                    public void onError(Throwable t) {
                        System.out.println("event stream ended: " + t);
                    }

                    @Override
                    public void onCompleted() {
                    }
                });

            Thread.sleep(3000); // let the connection count and thread pools settle
            int connsBefore = relay.connections();
            int threadsBefore = SoakTest.sample(node, 0).threads();
            System.out.println("before the cuts: " + connsBefore + " libvirtd connection(s) through the relay, " + threadsBefore + " threads");
            assertTrue(connsBefore >= 1, "the backend connects through the relay");

            for (int cut = 1; cut <= 3; cut++) {
                long t0 = System.nanoTime();
                relay.down();
                NodeProcess.waitFor(Duration.ofSeconds(60), () -> !node.backendsHealthy("relay"), () -> "health stayed green after the cut");
                double red = (System.nanoTime() - t0) / 1e9;

                long c0 = System.nanoTime();
                NodeProcess.Reply during = node.call("StartVM", "{\"vm\":\"" + vm + "\"}", "Bearer " + node.token(), Duration.ofSeconds(90));
                double callSeconds = (System.nanoTime() - c0) / 1e9;
                assertTrue(during.status() == 503 || during.status() == 504, "a call while libvirtd is away: " + during.status() + " " + during.body());
                assertTrue(callSeconds < 40, "the call took " + callSeconds + " s (backend.wait is 5 s)");

                Thread.sleep(5000);
                long u0 = System.nanoTime();
                relay.up();
                NodeProcess.waitFor(Duration.ofSeconds(120), () -> node.backendsHealthy("relay"), () -> "health did not come back after the relay reopened");
                double green = (System.nanoTime() - u0) / 1e9;

                // Events resume: a change made behind the node's back (virsh, on the real libvirtd) reaches the subscriber.
                int seen = events.size();
                Virsh.Result started = Virsh.run("start", vm); // not through the node: only a libvirt event tells it
                assertEquals(0, started.exit(), started.out());
                NodeProcess.waitFor(Duration.ofSeconds(90), () -> events.subList(seen, events.size()).stream()
                    .anyMatch(e -> e.getType() == VmEvent.Type.TYPE_STARTED && e.getVmName().equals(vm)),
                    () -> "no STARTED event after reconnect " + events.subList(seen, events.size()));
                assertTrue(node.call("ForceStopVM", "{\"vm\":\"" + vm + "\"}").ok());
                NodeProcess.waitFor(Duration.ofSeconds(60), () -> "shut off".equals(state(vm)), () -> vm + " did not stop");

                Thread.sleep(3000);
                int conns = relay.connections();
                int threads = SoakTest.sample(node, 0).threads();
                System.out.printf("cut %d: health red after %.1f s; StartVM meanwhile answered %d in %.1f s; green %.1f s after libvirtd "
                    + "came back; libvirt events reach subscribers again; %d connection(s), %d threads%n", cut, red, during.status(),
                    callSeconds, green, conns, threads);
                assertEquals(connsBefore, conns, "libvirtd connections after reconnect " + cut);
                assertTrue(threads <= threadsBefore + 6, "threads grew from " + threadsBefore + " to " + threads + " after cut " + cut);
            }
            List<String> backendEvents = new ArrayList<>();
            for (VmEvent e : events) if (e.getType().name().startsWith("TYPE_BACKEND")) backendEvents.add(e.getType() + " " + e.getBackend());
            System.out.println("backend events seen: " + backendEvents);
        } finally {
            if (channel != null) channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
            relay.up();
            try {
                if (node.alive()) for (JsonObject v : node.vms())
                    if (str(v, "name").startsWith(prefix)) {
                        node.call("ForceStopVM", "{\"vm\":\"" + str(v, "id") + "\"}");
                        node.call("DeleteVM", "{\"vm\":\"" + str(v, "id") + "\"}");
                    }
            } finally {
                node.stop();
                relay.close();
                Virsh.purge(prefix);
                try (Stream<Path> s = Files.walk(home)) {
                    s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }

    private static String state(String name) {
        try {
            return Virsh.state(name);
        } catch (Exception e) {
            return e.toString();
        }
    }
}
