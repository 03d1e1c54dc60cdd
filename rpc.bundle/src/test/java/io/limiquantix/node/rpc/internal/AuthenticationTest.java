package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.limiquantix.node.rpc.v1.CreateVMRequest;
import io.limiquantix.node.rpc.v1.GetHealthRequest;
import io.limiquantix.node.rpc.v1.NodeDaemonServiceGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** No call reaches the node without the right bearer token. */
class AuthenticationTest {
    private InProcessNode rpc;

    @BeforeEach
    void start() throws Exception {
        rpc = new InProcessNode();
    }

    @AfterEach
    void stop() throws Exception {
        rpc.close();
    }

    private void refused(String authorization) {
        NodeDaemonServiceGrpc.NodeDaemonServiceBlockingStub stub = rpc.withAuthorization(authorization);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
            () -> stub.createVM(CreateVMRequest.newBuilder().setSpec(NodeDaemonEndpointTest.kernelGuest("sneaky")).build()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode(), String.valueOf(authorization));
        e = assertThrows(StatusRuntimeException.class, () -> stub.getHealth(GetHealthRequest.getDefaultInstance()));
        assertEquals(Status.Code.UNAUTHENTICATED, e.getStatus().getCode());
        assertTrue(rpc.node.calls.isEmpty(), "the node was called: " + rpc.node.calls);
        assertTrue(rpc.node.vms.isEmpty());
    }

    @Test
    void noTokenIsRefused() {
        refused(null);
    }

    @Test
    void aWrongTokenIsRefused() {
        refused("Bearer " + InProcessNode.TOKEN.substring(1) + "x");
        refused("Bearer " + InProcessNode.TOKEN + "x");
        refused("Bearer " + InProcessNode.TOKEN.substring(0, 10));
    }

    @Test
    void theTokenWithoutTheBearerSchemeIsRefused() {
        refused(InProcessNode.TOKEN);
        refused("Basic " + InProcessNode.TOKEN);
        refused("Bearer ");
    }

    @Test
    void theRightTokenIsAccepted() {
        assertTrue(rpc.withAuthorization("Bearer " + InProcessNode.TOKEN).getHealth(GetHealthRequest.getDefaultInstance()).getServing());
        assertTrue(rpc.withAuthorization("bearer " + InProcessNode.TOKEN).getHealth(GetHealthRequest.getDefaultInstance()).getServing());
    }
}
