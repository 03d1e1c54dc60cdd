package io.limiquantix.node.rpc.internal;

import io.grpc.Status;
import io.limiquantix.node.deploy.DeployService;
import io.limiquantix.node.deploy.DeployedBundle;
import io.limiquantix.node.rpc.v1.BundleInfo;
import io.limiquantix.node.rpc.v1.DeployBundleRequest;
import io.limiquantix.node.rpc.v1.ListBundlesResponse;
import io.limiquantix.node.rpc.v1.UndeployBundleRequest;
import java.io.ByteArrayInputStream;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.ServiceReference;

/**
 * {@code DeployBundle}, {@code UndeployBundle}, {@code ListBundles}: the deployment service
 * ({@code io.limiquantix.node.deploy}, deploy.bundle), looked up for each call, so that the API keeps serving
 * while that bundle is away (these calls are then UNAVAILABLE). The package is imported optionally; this class
 * is only loaded when one of these calls arrives. The caller's identity ({@link CallerIdentity}) goes to the
 * audit log.
 */
final class DeployCalls {
    private static final String SERVICE = "io.limiquantix.node.deploy.DeployService";

    private DeployCalls() {
    }

    interface Call<T> {
        T run(DeployService deploy);
    }

    static <T> T with(Call<T> call) {
        Bundle self = FrameworkUtil.getBundle(DeployCalls.class);
        BundleContext ctx = self == null ? null : self.getBundleContext();
        ServiceReference<?> ref = ctx == null ? null : ctx.getServiceReference(SERVICE);
        Object service = ref == null ? null : ctx.getService(ref);
        if (service == null)
            throw Status.UNAVAILABLE.withDescription("bundle deployment is not running on this node (deploy.bundle)").asRuntimeException();
        try {
            if (!(service instanceof DeployService deploy))
                throw Status.UNAVAILABLE.withDescription("the deployment service is not wired to the API bundle (refresh it)")
                    .asRuntimeException();
            return call.run(deploy);
        } finally {
            ctx.ungetService(ref);
        }
    }

    static BundleInfo deploy(DeployBundleRequest request) {
        String who = CallerIdentity.current();
        return with(d -> info(d.deploy(new ByteArrayInputStream(request.getJar().toByteArray()), who)));
    }

    static BundleInfo undeploy(UndeployBundleRequest request) {
        String who = CallerIdentity.current();
        return with(d -> info(d.undeploy(request.getSymbolicName(), who)));
    }

    static ListBundlesResponse list() {
        return with(d -> {
            ListBundlesResponse.Builder b = ListBundlesResponse.newBuilder();
            d.list().forEach(x -> b.addBundles(info(x)));
            return b.build();
        });
    }

    static BundleInfo info(DeployedBundle d) {
        return BundleInfo.newBuilder().setId(d.id()).setSymbolicName(nz(d.symbolicName())).setVersion(nz(d.version()))
            .setState(nz(d.state())).setSigner(nz(d.signer())).setTrusted(d.trusted()).setSha256(nz(d.sha256()))
            .setLocation(nz(d.location())).setOutcome(nz(d.outcome())).build();
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
