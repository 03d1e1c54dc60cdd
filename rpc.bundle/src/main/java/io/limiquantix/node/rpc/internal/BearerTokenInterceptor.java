package io.limiquantix.node.rpc.internal;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Lets a call through only with {@code authorization: Bearer <token>} ({@link BearerToken}: hashed, constant
 * time). A refused call is closed before
 * any message of it is read, so the service never sees it.
 */
final class BearerTokenInterceptor implements ServerInterceptor {
    static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    private final BearerToken token;

    BearerTokenInterceptor(String token) {
        this.token = new BearerToken(token);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        String why = token.refusal(headers.get(AUTHORIZATION));
        if (why != null) return refuse(call, why);
        // Who called, for audit logs (CallerIdentity): the client certificate's subject over mutual TLS, else "token".
        return io.grpc.Contexts.interceptCall(io.grpc.Context.current().withValue(CallerIdentity.KEY, CallerIdentity.of(call)),
            call, headers, next);
    }

    private static <Q, R> ServerCall.Listener<Q> refuse(ServerCall<Q, R> call, String why) {
        call.close(Status.UNAUTHENTICATED.withDescription(why), new Metadata());
        return new ServerCall.Listener<>() { };
    }
}
