package io.limiquantix.node.rpc.internal;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.limiquantix.node.api.Subscription;
import io.limiquantix.node.api.VmEvent;
import io.limiquantix.node.api.VmEventListener;
import io.limiquantix.node.runtime.NodeService;
import io.limiquantix.node.rpc.v1.WatchEventsResponse;

/**
 * One WatchEvents call: a NodeService subscription feeding a response stream until the client cancels or the
 * server shuts down (which cancels every call, and so closes every subscription).
 *
 * <p>gRPC buffers without bound whatever is sent to a client that does not read. Rather than hold memory for
 * a stuck client, or skip events silently, a client that stops keeping up is dropped with RESOURCE_EXHAUSTED:
 * it knows it lost events and re-lists. The node's fan-out calls one subscriber from one thread at a time, so
 * sends never overlap; the lock only orders them against the cancellation.
 */
final class EventStream implements VmEventListener {
    /** Events sent while the transport said "not ready" before the client counts as stuck. */
    static final int SLACK = 256;

    private final ServerCallStreamObserver<WatchEventsResponse> call;
    private Subscription subscription;
    private boolean closed;
    private boolean announced;
    private int sentWhileNotReady;

    private EventStream(ServerCallStreamObserver<WatchEventsResponse> call) {
        this.call = call;
    }

    static void open(NodeService node, ServerCallStreamObserver<WatchEventsResponse> call) {
        EventStream stream = new EventStream(call);
        call.setOnCancelHandler(stream::close);
        // Held across subscribe() so that no event overtakes the "subscribed" message.
        synchronized (stream) {
            Subscription s = node.subscribe(stream);
            if (stream.closed) {
                s.close();
                return;
            }
            stream.subscription = s;
            stream.announce();
        }
    }

    /** Tells the client that events from here on reach it, so it can act without racing the stream. */
    private void announce() {
        if (announced) return;
        announced = true;
        call.onNext(WatchEventsResponse.newBuilder()
            .setSubscribed(WatchEventsResponse.Subscribed.getDefaultInstance()).build());
    }

    @Override
    public synchronized void onEvent(VmEvent event) {
        if (closed) return;
        announce();
        if (call.isReady()) {
            sentWhileNotReady = 0;
        } else if (++sentWhileNotReady > SLACK) {
            closeWith(Status.RESOURCE_EXHAUSTED.withDescription(
                "the event stream fell behind and was dropped; watch again and re-list VMs"));
            return;
        }
        call.onNext(WatchEventsResponse.newBuilder().setEvent(ReplyMapper.event(event)).build());
    }

    private void closeWith(Status status) {
        close();
        call.onError(status.asRuntimeException());
    }

    synchronized void close() {
        if (closed) return;
        closed = true;
        if (subscription != null) subscription.close();
    }
}
