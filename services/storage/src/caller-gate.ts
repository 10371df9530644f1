import type { PeerCertificate } from "node:tls";
import type { Metadata } from "@grpc/grpc-js";
import { GRANT_METADATA_KEY, type GrantVerifier, WharfError } from "@wharf/contracts";

/** The services that may call storage, by the common name of their client certificate (`wharf certs`). */
export const STORAGE_CALLER_ROLES = { "wharf-listener": "listener", "wharf-outbound": "outbound" } as const;
export type StorageCallerRole = (typeof STORAGE_CALLER_ROLES)[keyof typeof STORAGE_CALLER_ROLES];

/** What the gate sees of a call: the TLS peer and the metadata. */
export interface GatedCall {
  getAuthContext(): { sslPeerCertificate?: PeerCertificate };
  metadata: Metadata;
}

/** Decides whether a call may act on a root (and, for an upload, as a user); throws WHARF_PERMISSION_DENIED with the reason. */
export type CallerGate = (call: GatedCall, root: string, user?: string) => void;

/**
 * Storage's check of who calls (issue 9). With mutual TLS, gRPC has already refused a caller without a
 * certificate from Wharf's CA; this reads the certificate's common name as the caller's role. Outbound acts
 * for pipelines, which may name any root: it may act on every root. The listener acts for one logged-in
 * partner at a time: with a grant key configured, each call must carry auth's grant for the session, and
 * acts on the grant's root only (and uploads as the grant's user).
 */
export function createCallerGate({ mutualTls, verifyGrant }: { mutualTls: boolean; verifyGrant?: GrantVerifier | undefined }): CallerGate {
  if (!mutualTls) return () => undefined;
  return (call, root, user) => {
    const commonName = call.getAuthContext().sslPeerCertificate?.subject?.CN;
    const role = commonName === undefined ? undefined : STORAGE_CALLER_ROLES[commonName as keyof typeof STORAGE_CALLER_ROLES];
    if (!role) throw new WharfError("WHARF_PERMISSION_DENIED", `a client certificate with common name ${JSON.stringify(commonName ?? "")} may not call storage (wharf-listener or wharf-outbound may)`);
    if (role === "outbound" || !verifyGrant) return;
    const token = call.metadata.get(GRANT_METADATA_KEY)[0];
    const grant = verifyGrant(typeof token === "string" ? token : token?.toString());
    if (grant.root !== root) throw new WharfError("WHARF_PERMISSION_DENIED", `the session's grant is for another root than ${JSON.stringify(root)}`);
    if (user !== undefined && grant.user !== user) throw new WharfError("WHARF_PERMISSION_DENIED", `the session's grant is for another user than ${JSON.stringify(user)}`);
  };
}
