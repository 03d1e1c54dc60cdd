package io.limiquantix.node.api;

/** No backend, or not the chosen one, offers what was asked for. */
public class UnsupportedFeatureException extends HypervisorException {
    private static final long serialVersionUID = 1L;
    private final Feature feature;

    public UnsupportedFeatureException(Feature feature, String message) {
        super(message);
        this.feature = feature;
    }

    /** The missing feature, or null when the refusal is not about one feature. */
    public Feature feature() {
        return feature;
    }
}
