package io.limiquantix.node.cloudhv.internal.chapi;

/**
 * One Cloud Hypervisor API action: its HTTP method, its endpoint under {@code /api/v1/}, its JSON body and
 * the type of its answer. Every action the backend takes is one small implementation of this (see
 * {@link ChRequests}), and every one goes through {@link ChApiClient#send}, the single place that speaks HTTP.
 */
public interface ChRequest<R> {
    enum Method { GET, PUT }

    Method method();

    /** The action's name as the API spells it, e.g. {@code vm.boot}. */
    String endpoint();

    /** The request body, serialised as JSON; null when the action has none. */
    default Object body() {
        return null;
    }

    /** What a 200 answer is read as; {@link Void} for actions that answer 204 with no body. */
    Class<R> responseType();
}
