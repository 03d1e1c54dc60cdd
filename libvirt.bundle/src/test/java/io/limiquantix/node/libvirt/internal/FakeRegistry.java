package io.limiquantix.node.libvirt.internal;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeSet;

/** A registry that only remembers what is registered, with the same name rule as the real one. */
final class FakeRegistry implements BackendRegistry {
    final Map<String, BackendConfig> live = new LinkedHashMap<>();

    @Override
    public synchronized void start(String key, BackendConfig config) throws NameTakenException {
        for (Map.Entry<String, BackendConfig> e : live.entrySet())
            if (!e.getKey().equals(key) && e.getValue().name().equals(config.name()))
                throw new NameTakenException("name '" + config.name() + "' is already used by backend " + e.getKey());
        live.put(key, config);
    }

    @Override
    public synchronized void stop(String key) {
        live.remove(key);
    }

    @Override
    public synchronized boolean has(String key) {
        return live.containsKey(key);
    }

    synchronized TreeSet<String> names() {
        TreeSet<String> out = new TreeSet<>();
        live.values().forEach(c -> out.add(c.name()));
        return out;
    }
}
