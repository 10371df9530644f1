import { plainAddress } from "./passive-listener.js";

/** Where a client asked the server to connect for active mode (PORT/EPRT). */
export type ActiveTarget = { ok: true; host: string; port: number } | { ok: false; code: 501 | 522; text: string };

const bad = (text: string): ActiveTarget => ({ ok: false, code: 501, text });

/** PORT h1,h2,h3,h4,p1,p2 (RFC 959): six numbers 0–255. */
export function parsePort(argument: string): ActiveTarget {
  const parts = argument.trim().split(",");
  if (parts.length !== 6 || !parts.every((part) => /^\d{1,3}$/.test(part) && Number(part) <= 255)) return bad("PORT needs h1,h2,h3,h4,p1,p2.");
  const numbers = parts.map(Number);
  const port = (numbers[4] as number) * 256 + (numbers[5] as number);
  if (port === 0) return bad("PORT needs a port above 0.");
  return { ok: true, host: numbers.slice(0, 4).join("."), port };
}

/**
 * EPRT |family|address|port| (RFC 2428 §2), any printable delimiter. An
 * unknown family is 522 with the families this server speaks; bad syntax 501.
 */
export function parseEprt(argument: string): ActiveTarget {
  const text = argument.trim();
  const delimiter = text[0];
  if (!delimiter || delimiter < "!" || delimiter > "~") return bad("EPRT needs |family|address|port|.");
  const fields = text.split(delimiter);
  if (fields.length !== 5 || fields[0] !== "" || fields[4] !== "") return bad("EPRT needs |family|address|port|.");
  const [, family, host = "", portText = ""] = fields;
  if (!family || !/^\d+$/.test(family)) return bad("EPRT needs a numeric address family.");
  if (family !== "1" && family !== "2") return { ok: false, code: 522, text: "Network protocol not supported, use (1,2)." };
  const ipv4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (family === "1" && !ipv4?.slice(1).every((octet) => Number(octet) <= 255)) return bad("EPRT has a bad IPv4 address.");
  if (family === "2" && !/^[0-9A-Fa-f:.]+$/.test(host)) return bad("EPRT has a bad IPv6 address.");
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65_535) return bad("EPRT has a bad port.");
  return { ok: true, host, port: Number(portText) };
}

/** Compares two textual addresses, IPv4-mapped IPv6 and IPv6 spelling (case, zero runs) included. */
export function sameAddress(named: string, peer: string): boolean {
  return canonical(named) === canonical(peer);
}

function canonical(address: string): string {
  const plain = plainAddress(address.toLowerCase()) ?? "";
  if (!plain.includes(":")) return plain;
  const halves = plain.split("::");
  // More than one "::" or more than eight groups is no IPv6 address: compare it as text (it then matches nothing real).
  if (halves.length > 2 || plain.split(":").length > 9) return plain;
  const [head = "", tail] = halves;
  const headGroups = head ? head.split(":") : [];
  const tailGroups = tail ? tail.split(":") : [];
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - headGroups.length - tailGroups.length)).fill("0");
  return [...headGroups, ...zeros, ...tailGroups].map((group) => group.replace(/^0+(?=.)/, "")).join(":");
}
