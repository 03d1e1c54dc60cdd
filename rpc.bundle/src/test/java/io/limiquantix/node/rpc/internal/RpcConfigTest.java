package io.limiquantix.node.rpc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RpcConfigTest {
    private static RpcConfig config(Map<String, Object> configured, Map<String, String> framework) {
        return RpcConfig.from(configured::get, framework::get);
    }

    @Test
    void defaultsToLoopbackOnPort9460WithTheTokenInTheDataDirectory() {
        RpcConfig c = config(Map.of(), Map.of("limiquantix.data", "/srv/lq"));
        assertTrue(c.bind().isLoopbackAddress());
        assertEquals(9460, c.port());
        assertEquals(Path.of("/srv/lq/rpc-token"), c.tokenFile());
        assertTrue(!c.mutualTls());
    }

    @Test
    void configAdminWinsOverFrameworkProperties() {
        RpcConfig c = config(Map.of("port", 7000), Map.of("limiquantix.rpc.port", "8000", "limiquantix.rpc.tokenFile", "/etc/lq/token"));
        assertEquals(7000, c.port());
        assertEquals(Path.of("/etc/lq/token"), c.tokenFile());
        assertEquals(8000, config(Map.of(), Map.of("limiquantix.rpc.port", "8000")).port());
    }

    @Test
    void aNetworkAddressWithoutMutualTlsIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> config(Map.of("bind", "0.0.0.0"), Map.of()));
        assertTrue(e.getMessage().contains("mutual TLS"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(Map.of(), Map.of("limiquantix.rpc.bind", "192.0.2.10")));
    }

    @Test
    void aNetworkAddressWithMutualTlsIsAccepted() {
        RpcConfig c = config(Map.of("bind", "0.0.0.0", "tlsCert", "/etc/lq/node.pem", "tlsKey", "/etc/lq/node.key",
            "tlsClientCa", "/etc/lq/ca.pem"), Map.of());
        assertTrue(c.mutualTls());
    }

    @Test
    void halfATlsConfigurationIsRefused() {
        assertThrows(IllegalArgumentException.class,
            () -> config(Map.of("tlsCert", "/etc/lq/node.pem", "tlsKey", "/etc/lq/node.key"), Map.of()));
    }

    @Test
    void badValuesAreRefusedNamingTheSetting() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> config(Map.of("port", "http"), Map.of()))
            .getMessage().startsWith("port"));
        assertThrows(IllegalArgumentException.class, () -> config(Map.of("port", 70000), Map.of()));
        assertThrows(IllegalArgumentException.class, () -> config(Map.of("bind", "no-such-host.invalid"), Map.of()));
    }
}
