package io.limiquantix.node.rpc.internal;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.ListValue;
import com.google.protobuf.Message;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The JSON face of {@code limiquantix.node.v1.NodeDaemonService}, as the Connect protocol has it for unary calls:
 * {@code POST /limiquantix.node.v1.NodeDaemonService/<Method>} with the request in the protobuf JSON mapping
 * ({@link JsonFormat}), answered 200 with the reply in the same mapping, or an HTTP status and a Connect error
 * body. Independent of servlets, so that every rule here is unit-tested without a web server.
 *
 * <p>No logic of the API lives here. A parsed request goes through an in-process gRPC transport to the very
 * service definition the gRPC server serves ({@link RpcServer#service}: the bearer-token interceptor and
 * {@link NodeDaemonEndpoint}), so replies and errors are the gRPC API's, status for status and field for field.
 * The token is also checked here, first, so that nothing of a request without it is read or parsed.
 */
final class JsonGateway implements AutoCloseable {
    static final String SERVICE = NodeDaemonServiceGrpc.SERVICE_NAME;
    private static final System.Logger LOG = System.getLogger(JsonGateway.class.getName());
    private static final JsonFormat.TypeRegistry DETAIL_TYPES = JsonFormat.TypeRegistry.newBuilder()
        .add(BadRequest.getDescriptor()).build();
    private static final JsonFormat.Printer PRINTER = JsonFormat.printer().usingTypeRegistry(DETAIL_TYPES);
    /** Unknown fields are refused: a misspelt field would otherwise be dropped and its default used. */
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();

    /** An HTTP answer: status and JSON body. */
    record Reply(int status, String json) {
        boolean ok() {
            return status == 200;
        }
    }

    private final BearerToken token;
    /** The node behind the service, for what is served beside the JSON API ({@code /metrics}); see {@link #withNode}. */
    private volatile java.util.function.Supplier<io.limiquantix.node.runtime.NodeService> node = () -> null;
    private final int maxBytes;
    private final Map<String, MethodDescriptor<?, ?>> methods = new TreeMap<>();
    private final Server server;
    private final ManagedChannel channel;

    /**
     * @param service the gRPC service definition, authentication included ({@link RpcServer#service})
     * @param maxBytes the largest request body accepted (the gRPC server's {@code maxMessageBytes})
     */
    JsonGateway(ServerServiceDefinition service, String token, int maxBytes) throws IOException {
        this.token = new BearerToken(token);
        this.maxBytes = maxBytes;
        for (MethodDescriptor<?, ?> m : service.getServiceDescriptor().getMethods()) methods.put(m.getBareMethodName(), m);
        String name = "lq-rpc-json-" + UUID.randomUUID();
        // Direct executors: the call runs in the thread of the HTTP request, which waits for it anyway.
        server = InProcessServerBuilder.forName(name).directExecutor().maxInboundMessageSize(maxBytes)
            .addService(service).build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().maxInboundMessageSize(Integer.MAX_VALUE).build();
    }

    /** Names the node behind the service, for {@code /metrics} (served with the same token). */
    JsonGateway withNode(java.util.function.Supplier<io.limiquantix.node.runtime.NodeService> node) {
        this.node = node;
        return this;
    }

    java.util.function.Supplier<io.limiquantix.node.runtime.NodeService> node() {
        return node;
    }

    BearerToken token() {
        return token;
    }

    /** A request body: its declared length (-1 if not declared) and its bytes. */
    interface Body {
        long declaredLength();

        InputStream open() throws IOException;
    }

    /**
     * @param httpMethod the HTTP method ({@code POST})
     * @param rpc what follows the service in the path ({@code GetHealth}), null if nothing does
     * @param authorization the {@code Authorization} header, or null
     * @param contentType the {@code Content-Type} header, or null
     * @param timeoutMs the {@code Connect-Timeout-Ms} header, or null
     */
    Reply handle(String httpMethod, String rpc, String authorization, String contentType, String timeoutMs, Body body) {
        String refusal = token.refusal(authorization);
        if (refusal != null) return error(401, "unauthenticated", refusal);
        if (!"POST".equals(httpMethod))
            return error(405, "unimplemented", httpMethod + " is not supported: call the API with POST " + path("<Method>"));
        MethodDescriptor<?, ?> method = rpc == null ? null : methods.get(rpc);
        if (method == null)
            return error(404, "not_found", "no method '" + (rpc == null ? "" : rpc) + "' in " + SERVICE + "; it has "
                + String.join(", ", methods.keySet()));
        if (method.getType() != MethodDescriptor.MethodType.UNARY)
            return error(501, "unimplemented", rpc + " streams its answer and is offered over gRPC only (" + SERVICE
                + " on the node's gRPC port, 9460 by default), not as JSON over HTTP");
        if (!json(contentType))
            return error(415, "invalid_argument", "Content-Type must be application/json (was "
                + (contentType == null ? "missing" : "'" + contentType + "'") + ")");
        long deadlineMs;
        try {
            deadlineMs = timeoutMs == null ? -1 : Long.parseLong(timeoutMs.strip());
            if (timeoutMs != null && (deadlineMs <= 0 || timeoutMs.strip().length() > 10)) throw new NumberFormatException();
        } catch (NumberFormatException e) {
            return error(400, "invalid_argument", "Connect-Timeout-Ms must be a positive whole number of at most 10 digits");
        }
        if (body.declaredLength() > maxBytes) return tooLarge();
        String text;
        try {
            byte[] bytes = read(body.open(), maxBytes);
            if (bytes == null) return tooLarge();
            text = new String(bytes, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return error(400, "invalid_argument", "the request body could not be read: " + e.getMessage());
        }
        return call(method, text, authorization, deadlineMs);
    }

    @SuppressWarnings("unchecked")
    private Reply call(MethodDescriptor<?, ?> method, String text, String authorization, long deadlineMs) {
        MethodDescriptor<Message, Message> m = (MethodDescriptor<Message, Message>) method;
        Message prototype = (Message) ((MethodDescriptor.PrototypeMarshaller<?>) m.getRequestMarshaller()).getMessagePrototype();
        Message request;
        try {
            Message.Builder b = prototype.newBuilderForType();
            if (!text.isBlank()) PARSER.merge(text, b); // Connect: an empty body is the empty message
            request = b.build();
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            return badJson(prototype, text, e);
        }
        Metadata headers = new Metadata();
        headers.put(BearerTokenInterceptor.AUTHORIZATION, authorization);
        Channel authorized = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
        CallOptions options = deadlineMs > 0 ? CallOptions.DEFAULT.withDeadlineAfter(deadlineMs, TimeUnit.MILLISECONDS)
            : CallOptions.DEFAULT;
        try {
            Message reply = ClientCalls.blockingUnaryCall(authorized, m, options, request);
            return new Reply(200, PRINTER.print(reply));
        } catch (StatusRuntimeException e) {
            return error(e);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            LOG.log(Level.ERROR, "unexpected error answering " + m.getFullMethodName() + " over JSON", e);
            return error(500, "internal", "the node failed unexpectedly (" + e.getClass().getSimpleName()
                + "); its log has the details");
        }
    }

    static String path(String method) {
        return "/" + SERVICE + "/" + method;
    }

    private static boolean json(String contentType) {
        if (contentType == null) return false;
        String[] parts = contentType.split(";");
        if (!parts[0].strip().equalsIgnoreCase("application/json")) return false;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip().toLowerCase(Locale.ROOT);
            if (p.startsWith("charset=") && !p.equals("charset=utf-8") && !p.equals("charset=\"utf-8\"")) return false;
        }
        return true;
    }

    /** At most {@code max} bytes, or null if there are more. */
    private static byte[] read(InputStream in, int max) throws IOException {
        try (in) {
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 8192));
            byte[] buf = new byte[8192];
            long total = 0;
            for (int n; (n = in.read(buf)) > 0; ) {
                total += n;
                if (total > max) return null;
                out.write(buf, 0, n);
            }
            return out.toByteArray();
        }
    }

    private Reply tooLarge() {
        return error(413, "resource_exhausted", "the request body is larger than " + maxBytes + " bytes (maxMessageBytes)");
    }

    /** A body that is not the request's JSON: 400, naming the field that could not be read when there is one. */
    private static Reply badJson(Message prototype, String text, Exception e) {
        String field = null;
        try {
            JsonElement tree = JsonParser.parseString(text);
            if (tree.isJsonObject()) field = culprit(tree.getAsJsonObject(), prototype.newBuilderForType(), "");
        } catch (RuntimeException notJson) {
            // not even JSON: no field to name
        }
        String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        String message = "the body is not a valid " + prototype.getDescriptorForType().getFullName() + " in JSON: " + reason;
        if (field == null) return error(400, "invalid_argument", message);
        return error(400, "invalid_argument", field + ": " + message, field, reason);
    }

    /**
     * Which member of {@code object} {@link JsonFormat} refuses, as a proto field path ({@code spec.disks[0].bus},
     * the same form as the API's own field errors), found by letting JsonFormat read one member at a time and
     * descending into the refused one. Only diagnosis: the mapping itself is JsonFormat's.
     */
    private static String culprit(JsonObject object, Message.Builder builder, String prefix) {
        for (Map.Entry<String, JsonElement> member : object.entrySet()) {
            JsonObject one = new JsonObject();
            one.add(member.getKey(), member.getValue());
            try {
                PARSER.merge(one.toString(), builder.getDefaultInstanceForType().newBuilderForType());
                continue;
            } catch (InvalidProtocolBufferException | RuntimeException refused) {
                // this member is (one of) the culprits
            }
            FieldDescriptor f = field(builder, member.getKey());
            if (f == null) return prefix + member.getKey();
            String path = prefix + f.getName();
            boolean nested = f.getJavaType() == FieldDescriptor.JavaType.MESSAGE && !f.isMapField()
                && !f.getMessageType().getFile().getPackage().equals("google.protobuf");
            JsonElement value = member.getValue();
            if (nested && f.isRepeated() && value.isJsonArray()) {
                for (int i = 0; i < value.getAsJsonArray().size(); i++) {
                    JsonElement e = value.getAsJsonArray().get(i);
                    String at = path + "[" + i + "]";
                    if (!e.isJsonObject()) return at;
                    String deeper = culprit(e.getAsJsonObject(), builder.newBuilderForField(f), at + ".");
                    if (deeper != null) return deeper;
                }
            } else if (nested && !f.isRepeated() && value.isJsonObject()) {
                String deeper = culprit(value.getAsJsonObject(), builder.newBuilderForField(f), path + ".");
                if (deeper != null) return deeper;
            }
            return path;
        }
        return null;
    }

    private static FieldDescriptor field(Message.Builder builder, String key) {
        for (FieldDescriptor f : builder.getDescriptorForType().getFields())
            if (f.getName().equals(key) || f.getJsonName().equals(key)) return f;
        return null;
    }

    /** A gRPC status from the service, as Connect has it: the code's HTTP status and the rich status's details. */
    static Reply error(StatusRuntimeException e) {
        Status status = e.getStatus();
        String code = connectCode(status.getCode());
        int http = httpStatus(status.getCode());
        String message = status.getDescription() == null ? "" : status.getDescription();
        com.google.rpc.Status rich = StatusProto.fromThrowable(e);
        Struct.Builder body = Struct.newBuilder().putFields("code", string(code)).putFields("message", string(message));
        ListValue.Builder details = ListValue.newBuilder();
        if (rich != null) {
            for (Any any : rich.getDetailsList()) details.addValues(Value.newBuilder().setStructValue(detail(any)));
        } else if (e.getTrailers() != null && e.getTrailers().get(ErrorMapping.FIELD) != null) {
            String field = e.getTrailers().get(ErrorMapping.FIELD);
            details.addValues(Value.newBuilder().setStructValue(detail(Any.pack(BadRequest.newBuilder()
                .addFieldViolations(BadRequest.FieldViolation.newBuilder().setField(field)).build()))));
        }
        if (details.getValuesCount() > 0) body.putFields("details", Value.newBuilder().setListValue(details).build());
        return new Reply(http, print(body));
    }

    /**
     * A Connect error detail: {@code type} and {@code value} (the message's bytes, unpadded base64) as Connect
     * clients read them, {@code debug} (the message in JSON) for people, and for a {@code google.rpc.BadRequest}
     * also {@code field} and {@code description} of its (first) violation at the top, for curl and jq.
     */
    private static Struct detail(Any any) {
        String type = any.getTypeUrl().substring(any.getTypeUrl().lastIndexOf('/') + 1);
        Struct.Builder d = Struct.newBuilder()
            .putFields("type", string(type))
            .putFields("value", string(Base64.getEncoder().withoutPadding().encodeToString(any.getValue().toByteArray())));
        if (any.is(BadRequest.class)) {
            try {
                BadRequest bad = any.unpack(BadRequest.class);
                Struct.Builder debug = Struct.newBuilder();
                PARSER.merge(PRINTER.print(bad), debug);
                d.putFields("debug", Value.newBuilder().setStructValue(debug).build());
                if (bad.getFieldViolationsCount() > 0) {
                    d.putFields("field", string(bad.getFieldViolations(0).getField()));
                    d.putFields("description", string(bad.getFieldViolations(0).getDescription()));
                }
            } catch (InvalidProtocolBufferException e) {
                // the detail stays without debug
            }
        }
        return d.build();
    }

    static Reply error(int http, String code, String message) {
        return new Reply(http, print(Struct.newBuilder().putFields("code", string(code)).putFields("message", string(message))));
    }

    private static Reply error(int http, String code, String message, String field, String description) {
        Struct detail = detail(Any.pack(BadRequest.newBuilder().addFieldViolations(
            BadRequest.FieldViolation.newBuilder().setField(field).setDescription(description)).build()));
        return new Reply(http, print(Struct.newBuilder().putFields("code", string(code)).putFields("message", string(message))
            .putFields("details", Value.newBuilder().setListValue(ListValue.newBuilder()
                .addValues(Value.newBuilder().setStructValue(detail))).build())));
    }

    private static Value string(String s) {
        return Value.newBuilder().setStringValue(s).build();
    }

    private static String print(Struct.Builder body) {
        try {
            return PRINTER.print(body);
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("a Struct of strings always prints", e);
        }
    }

    /** The Connect protocol's name of a gRPC code. */
    static String connectCode(Status.Code code) {
        return code == Status.Code.CANCELLED ? "canceled" : code.name().toLowerCase(Locale.ROOT);
    }

    /** The Connect protocol's HTTP status for a gRPC code (failed_precondition is 400 since the 2023 revision). */
    static int httpStatus(Status.Code code) {
        return switch (code) {
            case OK -> 200;
            case CANCELLED -> 499;
            case INVALID_ARGUMENT, FAILED_PRECONDITION, OUT_OF_RANGE -> 400;
            case DEADLINE_EXCEEDED -> 504;
            case NOT_FOUND -> 404;
            case ALREADY_EXISTS, ABORTED -> 409;
            case PERMISSION_DENIED -> 403;
            case RESOURCE_EXHAUSTED -> 429;
            case UNIMPLEMENTED -> 501;
            case UNAVAILABLE -> 503;
            case UNAUTHENTICATED -> 401;
            case UNKNOWN, INTERNAL, DATA_LOSS -> 500;
        };
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
        try {
            server.awaitTermination(5, TimeUnit.SECONDS);
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
