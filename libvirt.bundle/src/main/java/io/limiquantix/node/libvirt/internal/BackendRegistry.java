package io.limiquantix.node.libvirt.internal;

/**
 * Where backends are registered and unregistered, by key (a configuration PID, or {@code default:<name>}).
 * {@link Backends} does it with Dependency Manager; tests use a map.
 */
interface BackendRegistry {
    /** Registers (or replaces) the backend under {@code key}; refuses a name another key already uses. */
    void start(String key, BackendConfig config) throws NameTakenException;

    /** Unregisters and closes the backend under {@code key}, if any. */
    void stop(String key);

    boolean has(String key);

    final class NameTakenException extends Exception {
        private static final long serialVersionUID = 1L;

        NameTakenException(String message) {
            super(message);
        }
    }
}
