package io.limiquantix.node.rpc.internal;

import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.limiquantix.node.api.MigrationResult;
import io.limiquantix.node.api.OperationProgress;
import io.limiquantix.node.api.ProgressListener;
import io.limiquantix.node.rpc.v1.MigrateVMResponse;

/**
 * One MigrateVM call's response stream. Progress arrives on whatever thread the backend reports from, while
 * the result is sent from the call's thread: a stream observer is not thread-safe, so every send holds the
 * lock. A client that goes away stops receiving progress; the migration itself goes on (the API has no way
 * to cancel one), and its outcome reaches the VM's events.
 */
final class MigrationStream implements ProgressListener {
    private final ServerCallStreamObserver<MigrateVMResponse> call;
    private volatile boolean cancelled;

    MigrationStream(ServerCallStreamObserver<MigrateVMResponse> call) {
        this.call = call;
        call.setOnCancelHandler(() -> cancelled = true);
    }

    @Override
    public void progress(OperationProgress progress) {
        if (cancelled) return;
        MigrateVMResponse message = MigrateVMResponse.newBuilder().setProgress(ReplyMapper.progress(progress)).build();
        synchronized (this) {
            // Backends report a few times a second at most, so what a slow client leaves buffered stays small.
            if (!cancelled) call.onNext(message);
        }
    }

    synchronized void finish(MigrationResult result) {
        if (cancelled) return;
        call.onNext(MigrateVMResponse.newBuilder().setResult(ReplyMapper.migration(result)).build());
        call.onCompleted();
    }

    synchronized void fail(StatusRuntimeException status) {
        if (!cancelled) call.onError(status);
    }
}
