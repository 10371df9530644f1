import { BlockList, isIP } from "node:net";

export interface IpAccessSettings {
  /** "allow": everyone but the deny list; "deny": no one but the allow list (webMethods' IP access modes). */
  mode: "allow" | "deny";
  allow: readonly string[];
  deny: readonly string[];
}

/** Parses "10.0.0.0/8", "2001:db8::/32" or a single address; undefined when it is neither. */
export function parseCidr(text: string): { address: string; prefix: number; family: "ipv4" | "ipv6" } | undefined {
  const [address = "", prefixText, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const version = isIP(address);
  if (version === 0) return undefined;
  const family = version === 4 ? "ipv4" : "ipv6";
  const max = version === 4 ? 32 : 128;
  if (prefixText === undefined) return { address, prefix: max, family };
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > max) return undefined;
  return { address, prefix: Number(prefixText), family };
}

function blockListOf(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const cidr = parseCidr(entry);
    if (!cidr) throw new Error(`not an address or CIDR: ${entry}`);
    list.addSubnet(cidr.address, cidr.prefix, cidr.family);
  }
  return list;
}

/** Decides whether a client address may open a session on the port. */
export function createIpAccess({ mode, allow, deny }: IpAccessSettings): (address: string) => boolean {
  const allowed = blockListOf(allow);
  const denied = blockListOf(deny);
  return (address) => {
    const family = isIP(address) === 6 ? "ipv6" : "ipv4";
    if (denied.check(address, family)) return false;
    return mode === "allow" || allowed.check(address, family);
  };
}
