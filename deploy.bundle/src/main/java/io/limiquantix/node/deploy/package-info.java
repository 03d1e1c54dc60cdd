/**
 * Deploying bundles onto a running node: {@link io.limiquantix.node.deploy.DeployService} installs, updates
 * (with rollback) and uninstalls bundle jars that are signed by a key in the node's trust store, and lists what
 * runs. Every front end (gRPC/JSON, the deploy folder, Gogo, the Web Console) calls it.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.0.0")
package io.limiquantix.node.deploy;
