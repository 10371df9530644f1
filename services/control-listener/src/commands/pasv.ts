import { cidrMatcher } from "@wharf/contracts";
import type { FtpSession } from "../session.js";
import { createIpAccess } from "../ip-access.js";
import { PassiveListener } from "../passive-listener.js";
import type { Command } from "./command.js";

/** Opens a fresh passive port for the next transfer (dropping any earlier one). */
export async function openPassive(session: FtpSession): Promise<PassiveListener> {
  session.resetDataEndpoint();
  const listener = await PassiveListener.open({
    host: session.localAddress,
    range: session.settings.passivePorts,
    expectedPeer: session.remoteAddress,
    proxy: session.settings.proxyProtocol.enabled
      ? { fromTrustedProxy: cidrMatcher(session.settings.proxyProtocol.trustedProxies), headerTimeoutMs: session.settings.dataTimeoutMs }
      : undefined,
    onForeign: (peer) => {
      session.deps.metrics.foreignDataConnections.inc({ port: session.portAlias });
      session.log.warn({ peer }, "dropped a data connection from a foreign address");
    },
  });
  session.dataEndpoint = listener;
  return listener;
}

/** The address PASV announces to this client: a per-client-CIDR override, the port's passive address, or the local one. */
function passiveAddressFor(session: FtpSession): string {
  const { passiveOverrides, passiveAddress } = session.settings;
  for (const { cidr, address } of passiveOverrides) {
    if (createIpAccess({ mode: "deny", allow: [cidr], deny: [] })(session.remoteAddress)) return address;
  }
  return passiveAddress ?? session.localAddress;
}

/**
 * PASV: 227 with the address to connect to. Behind NAT the port's passive
 * address is announced instead of the local one. After EPSV ALL only EPSV is
 * allowed (RFC 2428 §3).
 */
export const pasv: Command = {
  verb: "PASV",
  syntax: "PASV",
  async run(session) {
    if (session.epsvAll) return session.reply(501, "PASV not allowed after EPSV ALL.");
    const address = passiveAddressFor(session);
    if (!/^\d+\.\d+\.\d+\.\d+$/.test(address)) return session.reply(425, "PASV needs IPv4; use EPSV.");
    const listener = await openPassive(session).catch(() => undefined);
    if (!listener) return session.reply(425, "Can't open passive connection.");
    const { port } = listener;
    session.reply(227, `Entering Passive Mode (${address.replaceAll(".", ",")},${port >> 8},${port & 255}).`);
  },
};
