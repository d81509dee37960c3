import { experimental, type ServerCredentials } from "@grpc/grpc-js";
import type { ServerTlsIdentity } from "@sentra/common";

/**
 * Server-side TLS credentials that follow `identity`: each rotation replaces the certificate new
 * connections are served (grpc-js calls `setSecureContext` on its HTTP/2 servers); connections
 * already open keep theirs. No client certificate is asked for — callers prove who they are with
 * API tokens.
 *
 * `ServerCredentials.createSsl` takes the PEM once and cannot change it, so the credentials come
 * from grpc-js's certificate-provider support instead, fed by our own provider: grpc-js's
 * `FileWatcherCertificateProvider` would hand over any bytes it read — a half-written pair makes
 * `setSecureContext` fail, and the server then drops every new connection until the next read.
 * The identity hands over only pairs that passed its checks.
 */
export function createRotatingServerCredentials(identity: ServerTlsIdentity): ServerCredentials {
  // grpc-js's parameter names are swapped: the first provider is the identity, the second the CA (none).
  return experimental.createCertificateProviderServerCredentials(identityCertificateProvider(identity), null, false);
}

function identityCertificateProvider(identity: ServerTlsIdentity): experimental.CertificateProvider {
  const unsubscribes = new Map<experimental.IdentityCertificateUpdateListener, () => void>();
  const updateOf = (): experimental.IdentityCertificateUpdate => {
    const { certificatePem, privateKeyPem } = identity.current();
    return { certificate: certificatePem, privateKey: privateKeyPem };
  };
  return {
    // No CA provider is configured, so grpc-js never asks for CA updates.
    addCaCertificateListener: () => {},
    removeCaCertificateListener: () => {},
    addIdentityCertificateListener: (listener) => {
      unsubscribes.set(
        listener,
        identity.subscribe((event) => {
          if (event.kind === "rotated") listener(updateOf());
        }),
      );
      // Asynchronously, as grpc-js's own providers do: it registers its watcher of the HTTP/2
      // server only after adding this listener, and a call made now would reach no server.
      process.nextTick(() => {
        if (unsubscribes.has(listener)) listener(updateOf());
      });
    },
    removeIdentityCertificateListener: (listener) => {
      unsubscribes.get(listener)?.();
      unsubscribes.delete(listener);
    },
  };
}
