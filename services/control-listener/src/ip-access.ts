import { cidrMatcher } from "@wharf/contracts";

export interface IpAccessSettings {
  /** "allow": everyone but the deny list; "deny": no one but the allow list (webMethods' IP access modes). */
  mode: "allow" | "deny";
  allow: readonly string[];
  deny: readonly string[];
}

/** Decides whether a client address may open a session on the port. */
export function createIpAccess({ mode, allow, deny }: IpAccessSettings): (address: string) => boolean {
  const allowed = cidrMatcher(allow);
  const denied = cidrMatcher(deny);
  return (address) => !denied(address) && (mode === "allow" || allowed(address));
}
