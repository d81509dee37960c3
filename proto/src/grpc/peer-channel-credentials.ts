import type { PeerCertificate } from "node:tls";
import { type ChannelCredentials, credentials } from "@grpc/grpc-js";
import type { GrpcTransportSecurity } from "@sentra/common";

/** A server certificate the client refused because it names another party. */
export interface ServerIdentityRefusal {
  expectedCommonName: string;
  /** The common name the server presented (undefined: none, or several). */
  presentedCommonName: string | undefined;
  /** The host the channel dialled. */
  host: string;
}

/**
 * Channel credentials for dialling one peer over mTLS: this process's certificate as the client
 * certificate, the CA as trust root, and the server's certificate required to name
 * `expectedServerCommonName` (e.g. `satellite:aws-eu-west-1`). Plaintext in insecure mode.
 *
 * The name, not the host, is the identity checked: the endpoint a satellite advertises comes from
 * its own heartbeat, so matching it against the certificate's SANs would prove nothing the name
 * does not, and would break behind NAT or when a satellite advertises an IP. Each peer gets its own
 * credentials object, so grpc-js never shares a connection checked for one name with another.
 */
export function createPeerChannelCredentials(
  security: GrpcTransportSecurity,
  expectedServerCommonName: string,
  onRefused: (refusal: ServerIdentityRefusal) => void = () => {},
): ChannelCredentials {
  if (security.mode === "insecure") return credentials.createInsecure();
  return credentials.createSsl(security.caPem, security.privateKeyPem, security.certificatePem, {
    checkServerIdentity: (host: string, certificate: PeerCertificate) => {
      // Node gives an array when the subject holds several CNs: ambiguous, so refused.
      const presented: unknown = certificate.subject?.CN;
      if (presented === expectedServerCommonName) return undefined;
      const presentedCommonName = typeof presented === "string" ? presented : undefined;
      onRefused({ expectedCommonName: expectedServerCommonName, presentedCommonName, host });
      return new Error(
        `the server at ${host} presented a certificate for CN=${presentedCommonName ?? "(none or several)"}, ` +
          `expected CN=${expectedServerCommonName}`,
      );
    },
  });
}
