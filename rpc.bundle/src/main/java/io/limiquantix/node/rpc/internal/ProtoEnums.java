package io.limiquantix.node.rpc.internal;

import io.limiquantix.node.api.InvalidArgumentException;

/**
 * Maps between the API's enums and the proto's, by name. Proto enum values carry a prefix (proto enums share
 * one namespace per package) and a zero value {@code *_UNSPECIFIED} meaning "not given"; the API's records
 * turn null into their default, so UNSPECIFIED maps to null. A number this node does not know arrives as
 * {@code UNRECOGNIZED} and is refused naming the field, rather than silently becoming a default.
 */
final class ProtoEnums {
    private ProtoEnums() {}

    static <E extends Enum<E>> E toApi(Enum<?> proto, String prefix, Class<E> api, String field) {
        String name = proto.name();
        if (name.equals("UNRECOGNIZED"))
            throw new InvalidArgumentException(field, "is not a value this node knows; known values: " + known(api, prefix));
        if (name.equals(prefix + "UNSPECIFIED")) return null;
        try {
            return Enum.valueOf(api, name.substring(prefix.length()));
        } catch (IllegalArgumentException | StringIndexOutOfBoundsException e) {
            // The proto has a value the API lacks: a bug in this bundle, but the caller's input is what we refuse.
            throw new InvalidArgumentException(field, "value " + name + " is not supported by this node");
        }
    }

    /** The proto value for an API value; UNSPECIFIED when the proto lags behind the API. */
    static <P extends Enum<P>> P toProto(Enum<?> api, String prefix, Class<P> proto) {
        if (api == null) return Enum.valueOf(proto, prefix + "UNSPECIFIED");
        try {
            return Enum.valueOf(proto, prefix + api.name());
        } catch (IllegalArgumentException e) {
            return Enum.valueOf(proto, prefix + "UNSPECIFIED");
        }
    }

    private static String known(Class<? extends Enum<?>> api, String prefix) {
        StringBuilder b = new StringBuilder();
        for (Enum<?> e : api.getEnumConstants()) b.append(b.length() == 0 ? "" : ", ").append(prefix).append(e.name());
        return b.toString();
    }
}
