import { readFileSync } from "node:fs";
import { createSecureContext, type SecureContext } from "node:tls";

export interface PortTls {
  /** The context for control and data connections of this port. */
  context: SecureContext;
}

/**
 * Loads the port's key and certificate once. TLS 1.2 is the floor (RFC 8996
 * deprecates 1.0 and 1.1) and Node's default cipher list, which has no weak
 * suites, applies. Binding data connections to their control session (unique
 * session id contexts, ticket keys, reuse checks) builds on this.
 */
export function loadPortTls({ certFile, keyFile }: { certFile: string; keyFile: string }): PortTls {
  const context = createSecureContext({
    cert: readFileSync(certFile),
    key: readFileSync(keyFile),
    minVersion: "TLSv1.2",
  });
  return { context };
}
