package io.limiquantix.node.ceph.internal;

import static org.junit.jupiter.api.Assertions.*;

import java.util.Hashtable;
import org.junit.jupiter.api.Test;
import org.osgi.service.cm.ConfigurationException;

/** A bad configuration is refused before anything is registered, naming the property. */
class CephProviderFactoryTest {
    @Test
    void refusesBadConfigurationNamingTheProperty() {
        CephProviderFactory factory = new CephProviderFactory(null);
        Hashtable<String, Object> props = new Hashtable<>();
        props.put("monitors", "127.0.0.1");
        props.put("keyring", "/etc/ceph/ceph.client.admin.keyring");
        ConfigurationException e = assertThrows(ConfigurationException.class, () -> factory.updated("pid-1", props));
        assertEquals("monitors", e.getProperty());
        props.put("monitors", "127.0.0.1:3300");
        props.remove("keyring");
        assertEquals("keyring", assertThrows(ConfigurationException.class, () -> factory.updated("pid-1", props)).getProperty());
        factory.deleted("pid-1");
        factory.removeAll();
    }
}
