import type { Http2SecureServer } from "node:http2";
import type { TLSSocket } from "node:tls";
import {
  Server,
  ServerCredentials,
  ServerInterceptingCall,
  type ServerInterceptingCallInterface,
  type ServerInterceptor,
  type ServerOptions,
  status,
} from "@grpc/grpc-js";
import type { GrpcTransportSecurity } from "@sentra/common";

/** Why a connection or a call was refused by transport security. */
export type TransportRefusalReason =
  /** The client presented no certificate. */
  | "no_client_certificate"
  /** The client's certificate does not chain to the CA (another CA, expired, self-signed…). */
  | "untrusted_client_certificate"
  /** The client did not speak TLS (plaintext gRPC, HTTP). */
  | "not_tls"
  /** Any other TLS failure (protocol version, cipher…). */
  | "tls_error"
  /** A valid certificate whose common name may not call this server. */
  | "common_name_not_allowed";

/** One refusal: at the TLS handshake, or a call whose certificate's name is not allowed. */
export interface TransportRefusal {
  stage: "handshake" | "authorisation";
  reason: TransportRefusalReason;
  /** The peer's address, when still known. */
  remoteAddress: string | undefined;
  /** The certificate's common name (authorisation refusals). */
  commonName?: string | undefined;
  /** The gRPC method path (authorisation refusals). */
  method?: string;
  /** The TLS error or verification code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE` — never certificate contents. */
  detail: string;
}

export interface SecuredServerOptions {
  security: GrpcTransportSecurity;
  /**
   * Common names of the client certificates allowed to call any service of this server (mTLS
   * only). Every other caller is refused: the TLS layer refuses a missing or untrusted
   * certificate, this list refuses a trusted certificate held by the wrong party.
   */
  allowedClientCommonNames: readonly string[];
  /** Told of every refusal (count and log it); never receives secrets. */
  onRefused?: (refusal: TransportRefusal) => void;
  serverOptions?: ServerOptions;
}

/** A grpc-js server with its transport security decided in one place; add services, then `listen`. */
export interface SecuredServer {
  readonly server: Server;
  /** Binds `host:port` (port 0: any) with the configured credentials; resolves with the bound port. */
  listen(address: string): Promise<number>;
}

/**
 * Creates a grpc-js server that, in mTLS mode, requires a client certificate from the configured
 * CA at the handshake and then lets only `allowedClientCommonNames` call — for every service on
 * it (health and reflection included). In insecure mode it serves plaintext and checks nothing.
 */
export function createSecuredServer(options: SecuredServerOptions): SecuredServer {
  const { security } = options;
  const onRefused = options.onRefused ?? (() => {});
  const interceptors =
    security.mode === "mtls" ? [commonNameGuard(new Set(options.allowedClientCommonNames), onRefused)] : [];
  const server = new Server({
    ...options.serverOptions,
    interceptors: [...interceptors, ...(options.serverOptions?.interceptors ?? [])],
  });
  const credentials =
    security.mode === "mtls"
      ? ServerCredentials.createSsl(
          security.caPem,
          [{ cert_chain: security.certificatePem, private_key: security.privateKeyPem }],
          true,
        )
      : ServerCredentials.createInsecure();
  return {
    server,
    listen: async (address) => {
      const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync(address, credentials, (error, bound) => (error ? reject(error) : resolve(bound))),
      );
      if (security.mode === "mtls") watchHandshakeRefusals(server, onRefused);
      return port;
    },
  };
}

/** Refuses, before the handler runs, a call whose client certificate's common name is not allowed. */
function commonNameGuard(
  allowed: ReadonlySet<string>,
  onRefused: (refusal: TransportRefusal) => void,
): ServerInterceptor {
  return (descriptor, call) =>
    new ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, proceed) => {
            const refusal = refusalOf(call, descriptor.path, allowed);
            if (!refusal) {
              proceed(metadata);
              return;
            }
            onRefused(refusal);
            call.sendStatus({
              code: refusal.reason === "no_client_certificate" ? status.UNAUTHENTICATED : status.PERMISSION_DENIED,
              details:
                refusal.reason === "no_client_certificate"
                  ? "a client certificate is required"
                  : `certificate CN=${refusal.commonName ?? "(none)"} may not call ${descriptor.path}`,
            });
          },
        }),
    });
}

function refusalOf(
  call: ServerInterceptingCallInterface,
  method: string,
  allowed: ReadonlySet<string>,
): TransportRefusal | undefined {
  const certificate = call.getAuthContext().sslPeerCertificate;
  const remoteAddress = call.getConnectionInfo().remoteAddress;
  if (!certificate) {
    // Unreachable while the handshake requires a certificate; refused all the same.
    return { stage: "authorisation", reason: "no_client_certificate", remoteAddress, method, detail: "no certificate" };
  }
  // Node gives an array when the subject holds several CNs: ambiguous, so refused.
  const commonName: unknown = certificate.subject?.CN;
  if (typeof commonName === "string" && allowed.has(commonName)) return undefined;
  return {
    stage: "authorisation",
    reason: "common_name_not_allowed",
    remoteAddress,
    commonName: typeof commonName === "string" ? commonName : undefined,
    method,
    detail: typeof commonName === "string" ? "common name not allowed" : "certificate has no single common name",
  };
}

/**
 * grpc-js hides its HTTP/2 servers, and with them the `tlsClientError` event where a refused
 * handshake shows. Reached through its private `http2Servers` map (grpc-js is pinned; the
 * satellite's mTLS test fails if this stops counting).
 */
function watchHandshakeRefusals(server: Server, onRefused: (refusal: TransportRefusal) => void): void {
  const http2Servers = (server as unknown as { http2Servers?: Map<Http2SecureServer, unknown> }).http2Servers;
  for (const http2Server of http2Servers?.keys() ?? []) {
    http2Server.on("tlsClientError", (error: NodeJS.ErrnoException, socket: TLSSocket) => {
      const refusal = handshakeRefusalOf(error, socket);
      if (refusal) onRefused(refusal);
    });
  }
}

/** A handshake the server refused; undefined when the client just went away (its own decision). */
function handshakeRefusalOf(error: NodeJS.ErrnoException, socket: TLSSocket): TransportRefusal | undefined {
  // After a refused certificate the socket is destroyed and forgets its address; its parent keeps it.
  const remoteAddress = socket.remoteAddress ?? (socket as unknown as { _parent?: TLSSocket })._parent?.remoteAddress;
  const verification = (socket as TLSSocket & { authorizationError?: string | null }).authorizationError;
  if (verification) {
    return { stage: "handshake", reason: "untrusted_client_certificate", remoteAddress, detail: String(verification) };
  }
  const code = error.code ?? "UNKNOWN";
  if (code === "ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE" || code === "ERR_SSL_NO_CERTIFICATE_RETURNED") {
    return { stage: "handshake", reason: "no_client_certificate", remoteAddress, detail: code };
  }
  if (
    code === "ERR_SSL_WRONG_VERSION_NUMBER" ||
    code === "ERR_SSL_HTTP_REQUEST" ||
    code === "ERR_SSL_UNKNOWN_PROTOCOL"
  ) {
    return { stage: "handshake", reason: "not_tls", remoteAddress, detail: code };
  }
  if (code.startsWith("ERR_SSL_")) return { stage: "handshake", reason: "tls_error", remoteAddress, detail: code };
  return undefined;
}
