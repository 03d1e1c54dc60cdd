package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import io.grpc.Status;
import io.limiquantix.node.api.BackendFailureException;
import io.limiquantix.node.api.BackendUnavailableException;
import io.limiquantix.node.api.ConflictException;
import io.limiquantix.node.api.Feature;
import io.limiquantix.node.api.NotFoundException;
import io.limiquantix.node.api.UnsupportedFeatureException;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.GetHealthResponse;
import io.limiquantix.node.rpc.v1.ListVMsResponse;
import io.limiquantix.node.rpc.v1.MemorySpec;
import io.limiquantix.node.rpc.v1.Vm;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * JSON over HTTP without a web server: the gateway over the production service definition and the test double.
 * Authentication before anything is read, HTTP statuses per Connect, JSON errors naming the field.
 */
class JsonGatewayTest {
    static final String TOKEN = InProcessNode.TOKEN;
    static final String BEARER = "Bearer " + TOKEN;
    static final String JSON = "application/json";

    private InMemoryTestNodeService node;
    private JsonGateway gateway;

    @BeforeEach
    void start() throws Exception {
        node = new InMemoryTestNodeService();
        gateway = new JsonGateway(RpcServer.service(() -> node, TOKEN), TOKEN, RpcConfig.DEFAULT_MAX_MESSAGE_BYTES);
    }

    @AfterEach
    void stop() {
        gateway.close();
    }

    static JsonGateway.Body body(String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return new JsonGateway.Body() {
            @Override
            public long declaredLength() {
                return bytes.length;
            }

            @Override
            public InputStream open() {
                return new ByteArrayInputStream(bytes);
            }
        };
    }

    /** A body that must not be read. */
    static final JsonGateway.Body UNTOUCHABLE = new JsonGateway.Body() {
        @Override
        public long declaredLength() {
            throw new AssertionError("the body's length was looked at");
        }

        @Override
        public InputStream open() {
            throw new AssertionError("the body was read");
        }
    };

    private JsonGateway.Reply post(String method, String json) {
        return gateway.handle("POST", method, BEARER, JSON, null, body(json));
    }

    static JsonObject json(JsonGateway.Reply reply) {
        return JsonParser.parseString(reply.json()).getAsJsonObject();
    }

    static <B extends Message.Builder> B parse(JsonGateway.Reply reply, B builder) throws IOException {
        assertEquals(200, reply.status(), reply.json());
        JsonFormat.parser().merge(reply.json(), builder);
        return builder;
    }

    /** 400, code invalid_argument, and the field named in the first detail (checked against its protobuf value). */
    static String field(JsonGateway.Reply reply) throws Exception {
        assertEquals(400, reply.status(), reply.json());
        JsonObject body = json(reply);
        assertEquals("invalid_argument", body.get("code").getAsString());
        JsonObject detail = body.getAsJsonArray("details").get(0).getAsJsonObject();
        assertEquals("google.rpc.BadRequest", detail.get("type").getAsString());
        BadRequest bad = BadRequest.parseFrom(Base64.getDecoder().decode(detail.get("value").getAsString()));
        String field = detail.get("field").getAsString();
        assertEquals(field, bad.getFieldViolations(0).getField());
        assertEquals(field, detail.getAsJsonObject("debug").getAsJsonArray("fieldViolations").get(0)
            .getAsJsonObject().get("field").getAsString());
        assertTrue(body.get("message").getAsString().startsWith(field + ": "), body.toString());
        return field;
    }

    static String kernelGuestJson(String name) throws Exception {
        return JsonFormat.printer().print(CreateVMRequest.newBuilder().setSpec(NodeDaemonEndpointTest.kernelGuest(name)));
    }

    @Test
    void getHealthAndListVmsAnswerTheProtobufJsonMapping() throws Exception {
        JsonGateway.Reply health = post("GetHealth", "{}");
        assertEquals(200, health.status(), health.json());
        assertTrue(parse(health, GetHealthResponse.newBuilder()).build().getServing());
        assertTrue(post("GetHealth", "").ok(), "an empty body is the empty request");

        JsonGateway.Reply created = post("CreateVM", kernelGuestJson("web"));
        assertEquals(200, created.status(), created.json());
        Vm vm = parse(created, Vm.newBuilder()).build();
        assertEquals("web", vm.getName());
        assertTrue(json(created).has("createdAt") || json(created).has("id"), "lowerCamelCase JSON names: " + created.json());

        ListVMsResponse list = parse(post("ListVMs", "{}"), ListVMsResponse.newBuilder()).build();
        assertEquals(List.of("web"), list.getVmsList().stream().map(Vm::getName).toList());
        assertEquals(List.of("createVm", "listVms"), node.calls.stream().filter(c -> !c.equals("backends")).toList());
    }

    @Test
    void withoutTheTokenNothingIsReadAndTheNodeIsNotCalled() {
        for (String auth : new String[] {null, "", TOKEN, "Basic " + TOKEN, "Bearer ", "Bearer " + TOKEN + "x",
                "Bearer " + TOKEN.substring(1)}) {
            for (String method : new String[] {"GET", "POST"}) {
                for (String rpc : new String[] {"CreateVM", "GetHealth", "Nope", null, "WatchEvents"}) {
                    JsonGateway.Reply r = gateway.handle(method, rpc, auth, "text/plain", "x", UNTOUCHABLE);
                    assertEquals(401, r.status(), auth + " " + method + " " + rpc);
                    assertEquals("unauthenticated", json(r).get("code").getAsString());
                    assertFalse(r.json().contains(TOKEN));
                }
            }
        }
        assertTrue(node.calls.isEmpty(), "the node was called: " + node.calls);
        assertTrue(gateway.handle("POST", "GetHealth", "bearer " + TOKEN, JSON, null, body("{}")).ok(), "the scheme is case-insensitive");
    }

    @Test
    void onlyPostToAKnownUnaryMethodWithJsonIsAccepted() {
        assertEquals(405, gateway.handle("GET", "GetHealth", BEARER, JSON, null, UNTOUCHABLE).status());
        assertEquals(405, gateway.handle("PUT", "GetHealth", BEARER, JSON, null, UNTOUCHABLE).status());
        JsonGateway.Reply unknown = gateway.handle("POST", "GetHealthz", BEARER, JSON, null, UNTOUCHABLE);
        assertEquals(404, unknown.status());
        assertTrue(json(unknown).get("message").getAsString().contains("GetHealth,"), unknown.json());
        assertEquals(404, gateway.handle("POST", null, BEARER, JSON, null, UNTOUCHABLE).status());
        for (String streaming : new String[] {"WatchEvents", "MigrateVM"}) {
            JsonGateway.Reply r = gateway.handle("POST", streaming, BEARER, JSON, null, UNTOUCHABLE);
            assertEquals(501, r.status());
            assertEquals("unimplemented", json(r).get("code").getAsString());
            assertTrue(json(r).get("message").getAsString().contains("gRPC"), r.json());
        }
        assertEquals(415, gateway.handle("POST", "GetHealth", BEARER, "text/plain", null, UNTOUCHABLE).status());
        assertEquals(415, gateway.handle("POST", "GetHealth", BEARER, null, null, UNTOUCHABLE).status());
        assertEquals(415, gateway.handle("POST", "GetHealth", BEARER, "application/json; charset=latin1", null, UNTOUCHABLE).status());
        assertTrue(gateway.handle("POST", "GetHealth", BEARER, "Application/JSON; charset=UTF-8", null, body("{}")).ok());
        assertEquals(400, gateway.handle("POST", "GetHealth", BEARER, JSON, "soon", UNTOUCHABLE).status());
        assertTrue(gateway.handle("POST", "GetHealth", BEARER, JSON, "30000", body("{}")).ok());
        assertTrue(node.calls.stream().allMatch(c -> c.equals("backends")), node.calls.toString());
    }

    @Test
    void bodiesAreLimited() throws Exception {
        long over = RpcConfig.DEFAULT_MAX_MESSAGE_BYTES + 1L;
        JsonGateway.Reply declared = gateway.handle("POST", "CreateVM", BEARER, JSON, null, new JsonGateway.Body() {
            @Override
            public long declaredLength() {
                return over;
            }

            @Override
            public InputStream open() {
                throw new AssertionError("a body declared too large was read");
            }
        });
        assertEquals(413, declared.status());
        assertEquals("resource_exhausted", json(declared).get("code").getAsString());
        // Undeclared (chunked): read up to the limit, then refused.
        JsonGateway.Reply streamed = gateway.handle("POST", "CreateVM", BEARER, JSON, null, new JsonGateway.Body() {
            @Override
            public long declaredLength() {
                return -1;
            }

            @Override
            public InputStream open() {
                return new InputStream() {
                    long left = over + 1_000_000;

                    @Override
                    public int read() {
                        return left-- > 0 ? ' ' : -1;
                    }
                };
            }
        });
        assertEquals(413, streamed.status());
        assertTrue(node.vms.isEmpty());
        assertTrue(post("GetHealth", "{}").ok(), "still serving");
    }

    @Test
    void aBodyThatIsNotTheRequestNamesTheField() throws Exception {
        assertEquals("spec.nmae", field(post("CreateVM", "{\"spec\":{\"nmae\":\"x\"}}")));
        assertEquals("spec.memory.size_mib", field(post("CreateVM", "{\"spec\":{\"memory\":{\"sizeMib\":\"lots\"}}}")));
        assertEquals("spec.memory.size_mib", field(post("CreateVM", "{\"spec\":{\"memory\":{\"size_mib\":-5}}}")));
        assertEquals("spec.disks[1].bus", field(post("CreateVM",
            "{\"spec\":{\"name\":\"a\",\"disks\":[{\"name\":\"d\"},{\"bus\":\"BUS_NOPE\"}]}}")));
        assertEquals("timeout_seconds", field(post("StopVM", "{\"vm\":\"a\",\"timeoutSeconds\":-1}")));
        assertEquals("vm", field(post("GetVM", "{\"vm\":{}}")));
        for (String notIt : new String[] {"not json", "[1]", "{\"vm\":", "\"x\""}) {
            JsonGateway.Reply r = post("GetVM", notIt);
            assertEquals(400, r.status(), notIt);
            assertEquals("invalid_argument", json(r).get("code").getAsString());
        }
        assertTrue(node.calls.isEmpty(), "refused before reaching the node: " + node.calls);
    }

    @Test
    void theServicesOwnRefusalsNameTheSameFieldAsOverGrpc() throws Exception {
        assertEquals("spec", field(post("CreateVM", "{}")));
        assertEquals("vm", field(post("StartVM", "{}")));
        String tiny = JsonFormat.printer().print(CreateVMRequest.newBuilder().setSpec(NodeDaemonEndpointTest.kernelGuest("a")
            .setMemory(MemorySpec.newBuilder().setSizeMib(1))));
        assertEquals("spec.memory.size_mib", field(post("CreateVM", tiny)));
        assertTrue(node.vms.isEmpty());
    }

    @Test
    void typedErrorsGetTheConnectHttpStatus() throws Exception {
        assertTrue(post("CreateVM", kernelGuestJson("x")).ok());
        expect(404, "not_found", () -> new NotFoundException("no VM 'y'"));
        expect(400, "failed_precondition", () -> new ConflictException("VM x is running"));
        expect(501, "unimplemented", () -> new UnsupportedFeatureException(Feature.TPM, "no backend offers TPM"));
        expect(503, "unavailable", () -> new BackendUnavailableException("backend qemu is away"));
        expect(500, "internal", () -> new BackendFailureException("libvirt: domain crashed", null));
        JsonGateway.Reply bug = expect(500, "internal", () -> new IllegalStateException("a secret bug"));
        assertFalse(bug.json().contains("a secret bug"), "internals must not leak: " + bug.json());
        JsonGateway.Reply missing = post("GetVM", "{\"vm\":\"nope\"}");
        assertEquals(404, missing.status());
        assertEquals("not_found", json(missing).get("code").getAsString());
    }

    private JsonGateway.Reply expect(int http, String code, Supplier<RuntimeException> error) {
        node.failNext = error;
        JsonGateway.Reply r = post("StartVM", "{\"vm\":\"x\"}");
        assertEquals(http, r.status(), r.json());
        assertEquals(code, json(r).get("code").getAsString());
        assertFalse(json(r).has("details"));
        return r;
    }

    @Test
    void connectStatusTable() {
        assertEquals(400, JsonGateway.httpStatus(Status.Code.INVALID_ARGUMENT));
        assertEquals(401, JsonGateway.httpStatus(Status.Code.UNAUTHENTICATED));
        assertEquals(404, JsonGateway.httpStatus(Status.Code.NOT_FOUND));
        assertEquals(400, JsonGateway.httpStatus(Status.Code.FAILED_PRECONDITION));
        assertEquals(501, JsonGateway.httpStatus(Status.Code.UNIMPLEMENTED));
        assertEquals(503, JsonGateway.httpStatus(Status.Code.UNAVAILABLE));
        assertEquals(500, JsonGateway.httpStatus(Status.Code.INTERNAL));
        assertEquals(429, JsonGateway.httpStatus(Status.Code.RESOURCE_EXHAUSTED));
        assertEquals(504, JsonGateway.httpStatus(Status.Code.DEADLINE_EXCEEDED));
        assertEquals("canceled", JsonGateway.connectCode(Status.Code.CANCELLED));
        assertEquals("failed_precondition", JsonGateway.connectCode(Status.Code.FAILED_PRECONDITION));
        for (Status.Code c : Status.Code.values()) assertTrue(JsonGateway.httpStatus(c) >= 200);
    }

    @Test
    void transportRule() {
        assertNull(JsonServlet.transportRefusal(false, "127.0.0.1", false));
        assertNull(JsonServlet.transportRefusal(false, "127.0.1.1", false));
        assertNull(JsonServlet.transportRefusal(false, "0:0:0:0:0:0:0:1", false));
        assertNull(JsonServlet.transportRefusal(false, "[::1]", false));
        assertTrue(JsonServlet.transportRefusal(false, "192.168.1.5", false).contains("loopback only"));
        assertTrue(JsonServlet.transportRefusal(true, "192.168.1.5", false).contains("client certificate"));
        assertNull(JsonServlet.transportRefusal(true, "192.168.1.5", true));
        assertFalse(JsonServlet.loopback(null));
        assertFalse(JsonServlet.loopback("localhost.evil.example"));
        assertFalse(JsonServlet.loopback("0.0.0.0"));
    }

    @Test
    void httpRuntimeEndpointsDecideWhetherItMayServe() {
        assertNull(HttpFrontEnd.refusal(List.of("http://127.0.0.1:8080/")));
        assertNull(HttpFrontEnd.refusal(List.of("http://127.0.0.1:8080/", "http://[::1]:8080/")));
        assertNull(HttpFrontEnd.refusal(List.of("http://localhost:8080/")));
        assertNull(HttpFrontEnd.refusal(List.of("http://10.0.0.5:8080/", "https://10.0.0.5:8443/")), "HTTPS configured");
        String why = HttpFrontEnd.refusal(List.of("http://127.0.0.1:8080/", "http://10.0.0.5:8080/"));
        assertTrue(why.contains("http://10.0.0.5:8080/") && why.contains("org.apache.felix.http.host"), why);
        assertTrue(HttpFrontEnd.refusal(List.of("http://0.0.0.0:8080/")) != null);
        assertTrue(HttpFrontEnd.refusal(List.of("http://node1.example:8080/")) != null, "names are not resolved: refused");
        assertTrue(HttpFrontEnd.refusal(List.of()) != null, "no endpoint published: unknown, refused");
    }
}
