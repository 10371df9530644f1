import type { TLSSocket } from "node:tls";
import { Client } from "basic-ftp";
import type { EndpointConfig } from "@wharf/contracts";
import { SecretsError } from "@wharf/secrets";
import { connectToEndpoint, withoutSessionResumption } from "./ftp-push.js";
import { readSecret, type SecretSource } from "./secrets.js";

/** One finding of a probe: what was checked, whether it passed, and what was seen. */
export interface ProbeLine {
  check: string;
  ok: boolean;
  detail: string;
}

export interface ProbeReport {
  /** False if a check failed that deliveries need (connection, trust, login, PROT P, a listing). */
  ok: boolean;
  lines: ProbeLine[];
  /** Quirk settings the partner's behaviour calls for, to put in the endpoint. */
  suggestions: string[];
}

/**
 * `wharf endpoints validate`: connects to a partner once, as deliveries do,
 * and reports what it finds: TLS version and certificate, whether the
 * certificate is trusted as the endpoint says, the features (FEAT), the
 * login, PROT P, EPSV and PASV (and the address PASV announces), a listing of
 * the remote folder over a data connection (and whether it resumed the TLS
 * session), with quirk settings to use where the partner needs them. Its
 * secrets are read as outbound reads them: `secrets` gives the keyring for
 * sealed ones and the environment for references.
 */
export async function probeEndpoint(endpoint: EndpointConfig, secrets: SecretSource): Promise<ProbeReport> {
  const lines: ProbeLine[] = [];
  const suggestions: string[] = [];
  const note = (check: string, ok: boolean, detail: string) => lines.push({ check, ok, detail });
  const client = new Client(endpoint.timeoutMs, { allowSeparateTransferHost: !endpoint.quirks.passiveAddressFromControl });
  try {
    try {
      const tls = await connectToEndpoint(client, endpoint, { warn: () => undefined }, secrets);
      note("connection", true, `${endpoint.host}:${endpoint.port} (${endpoint.tls === "none" ? "plain FTP" : `${endpoint.tls} FTPS`})`);
      if (endpoint.tls !== "none") {
        const socket = client.ftp.socket as TLSSocket;
        const certificate = socket.getPeerX509Certificate?.();
        note("TLS", true, `${tls}, ${socket.getCipher?.()?.name ?? "?"}`);
        if (certificate) {
          note("certificate", true, `subject ${certificate.subject.replaceAll("\n", ", ")}; issuer ${certificate.issuer.replaceAll("\n", ", ")}; valid to ${certificate.validTo}; SHA-256 ${certificate.fingerprint256}`);
        }
        const trust = endpoint.trust.fingerprint ? "matches the pinned fingerprint" : endpoint.trust.insecure ? "NOT checked (trust.insecure)" : socket.authorized ? "verified against the CAs" : `not verified (${String(socket.authorizationError)})`;
        note("trust", !trust.startsWith("not verified"), trust);
      }
    } catch (error) {
      note("connection", false, message(error));
      if (endpoint.tls !== "none" && endpoint.quirks.tls13 && /handshake|alert|version/i.test(message(error))) suggestions.push("quirks.tls13: false (the handshake failed; an old server may not speak TLS 1.3)");
      return { ok: false, lines, suggestions };
    }
    const features = await client.features().catch(() => new Map<string, string>());
    note("features", true, [...features.keys()].sort().join(" ") || "(none announced)");
    let password: string | undefined;
    try {
      password = endpoint.password ? await readSecret(endpoint.password, { endpoint, field: "password" }, secrets) : "";
    } catch (error) {
      note("login", false, error instanceof SecretsError ? message(error) : `${message(error)} here; run the validation where outbound runs, or set it`);
      return { ok: false, lines, suggestions };
    }
    try {
      await client.login(endpoint.user, password);
      note("login", true, `as ${endpoint.user}`);
    } catch (error) {
      note("login", false, message(error));
      return { ok: false, lines, suggestions };
    }
    if (endpoint.tls !== "none") {
      const pbsz = await client.sendIgnoringError("PBSZ 0");
      const prot = await client.sendIgnoringError("PROT P");
      note("PROT P", prot.code < 400, `${pbsz.code} / ${prot.code} ${prot.message}`);
    }
    await client.send("TYPE I");
    const epsv = await client.sendIgnoringError("EPSV");
    note("EPSV", epsv.code === 229, `${epsv.code} ${epsv.message}`);
    if (epsv.code !== 229 && endpoint.quirks.epsv) suggestions.push("quirks.epsv: false (the partner does not answer EPSV)");
    const pasv = await client.sendIgnoringError("PASV");
    const announced = /(\d+),(\d+),(\d+),(\d+),\d+,\d+/.exec(pasv.message);
    const address = announced ? announced.slice(1, 5).join(".") : undefined;
    const control = (client.ftp.socket.remoteAddress ?? "").replace(/^::ffff:/, "");
    note("PASV", pasv.code === 227, `${pasv.code}${address ? `, announces ${address}${address === control ? "" : ` (the control connection is to ${control})`}` : ""}`);
    if (address && address !== control && !endpoint.quirks.passiveAddressFromControl) suggestions.push(`quirks.passiveAddressFromControl: true (PASV announces ${address}, not the address connected to)`);
    // A listing over a data connection, as a delivery's upload would make one.
    let resumed: boolean | undefined;
    const prepare = client.prepareTransfer;
    client.prepareTransfer = async (ftp) => {
      const response = await prepare.call(client, ftp);
      const data = ftp.dataSocket as TLSSocket | undefined;
      // Known once the data connection's handshake is done, which may come after this resolves.
      if (data && typeof data.isSessionReused === "function") {
        resumed = data.isSessionReused();
        data.once("secureConnect", () => {
          resumed = data.isSessionReused();
        });
      }
      return response;
    };
    const session = () => (resumed === undefined ? "" : resumed ? ", data connection resumed the TLS session" : ", data connection did NOT resume the TLS session");
    const folder = endpoint.remoteFolder;
    try {
      const entries = await client.list(folder);
      note("listing", true, `${folder}: ${entries.length} entries${session()}`);
    } catch (error) {
      // A remote folder that does not exist yet is made by the first delivery: list the root instead.
      const missing = folder !== "/" && (error as { code?: number }).code === 550;
      const root = missing ? await client.list("/").then((entries) => entries.length, () => undefined) : undefined;
      if (root !== undefined) note("listing", true, `${folder} does not exist yet (the first delivery makes it); /: ${root} entries${session()}`);
      else {
        note("listing", false, `${folder}: ${message(error)}${session()}`);
        // A partner that fails on a resumed session (rare: RFC 4217 advises resuming) may list without one.
        if (endpoint.tls !== "none" && endpoint.quirks.tlsSessionReuse && resumed !== false && !client.closed) {
          withoutSessionResumption(client, client.ftp.socket as TLSSocket);
          if (await client.list(folder).then(() => true, () => false)) {
            suggestions.push("quirks.tlsSessionReuse: false (the listing failed over a resumed TLS session, and worked without)");
          }
        }
      }
    }
    return { ok: lines.every((line) => line.ok || line.check === "EPSV" || line.check === "PASV"), lines, suggestions };
  } finally {
    client.close();
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
