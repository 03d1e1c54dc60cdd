package io.limiquantix.node.rpc.internal;

import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.InvalidArgumentException;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import java.lang.System.Logger.Level;

/**
 * The API's typed errors as gRPC statuses. INVALID_ARGUMENT carries the offending field twice: as a
 * {@code google.rpc.BadRequest} field violation in the rich status (for clients that read details) and as the
 * plain trailer {@code lq-field} (for clients that do not). Anything that is not a typed error is a bug here
 * or in the node: it is logged with its stack and answered INTERNAL without internals.
 */
final class ErrorMapping {
    static final Metadata.Key<String> FIELD = Metadata.Key.of("lq-field", Metadata.ASCII_STRING_MARSHALLER);
    private static final System.Logger LOG = System.getLogger(ErrorMapping.class.getName());

    private ErrorMapping() {}

    static StatusRuntimeException toStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) return s;
        if (t instanceof InvalidArgumentException e) return invalidArgument(e);
        if (t instanceof NotFoundException) return plain(Code.NOT_FOUND, t.getMessage());
        if (t instanceof ConflictException) return plain(Code.FAILED_PRECONDITION, t.getMessage());
        if (t instanceof UnsupportedFeatureException) return plain(Code.UNIMPLEMENTED, t.getMessage());
        if (t instanceof BackendUnavailableException)
            return plain(Code.UNAVAILABLE, t.getMessage() + " (the call may succeed later)");
        if (t instanceof BackendFailureException) return plain(Code.INTERNAL, "the backend failed: " + t.getMessage());
        LOG.log(Level.ERROR, "unexpected error answering a gRPC call", t);
        return plain(Code.INTERNAL, "the node failed unexpectedly (" + t.getClass().getSimpleName()
            + "); its log has the details");
    }

    private static StatusRuntimeException invalidArgument(InvalidArgumentException e) {
        String field = FieldPaths.toProto(e.field());
        String message = field + ": " + e.reason();
        com.google.rpc.Status status = com.google.rpc.Status.newBuilder()
            .setCode(Code.INVALID_ARGUMENT_VALUE)
            .setMessage(message)
            .addDetails(Any.pack(BadRequest.newBuilder()
                .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField(field).setDescription(e.reason()))
                .build()))
            .build();
        Metadata trailers = new Metadata();
        trailers.put(FIELD, ascii(field));
        return StatusProto.toStatusRuntimeException(status, trailers);
    }

    private static StatusRuntimeException plain(Code code, String message) {
        return Status.fromCodeValue(code.getNumber()).withDescription(message).asRuntimeException();
    }

    /** ASCII metadata must not carry other characters; field paths are ASCII, but a map key need not be. */
    private static String ascii(String s) {
        StringBuilder b = new StringBuilder(Math.min(s.length(), 256));
        for (int i = 0; i < s.length() && b.length() < 256; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return b.toString();
    }
}
