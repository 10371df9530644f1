#!/usr/bin/env node
import { auditCommand } from "./audit/audit-ls.js";
import { AuditedWriteError } from "./audit/audited-bucket.js";
import { applyCommand } from "./ports/apply.js";
import { portsCommand } from "./ports/ports.js";
import { bansCommand } from "./bans/bans.js";
import { certsCommand } from "./certs/certs.js";
import { configCommand } from "./config/config-dump.js";
import { dlqCommand } from "./dlq/dlq.js";
import { natsCommand } from "./nats/nats.js";
import { outboundSettingsCommand } from "./outbound/outbound-settings.js";
import { secretsCommand } from "./secrets/secrets-command.js";
import { start } from "./start/launcher.js";
import { transfersCommand } from "./transfers/transfers.js";
import { usersCommand } from "./users/users.js";

const USAGE = `usage: wharf <command>

commands:
  start               run Wharf on this machine: nats-server (unless NATS_URL is set) and the four services
  apply -f FILE       validate a YAML configuration (ports, users, endpoints, pipelines) and apply it; services pick it up within seconds
  ports ls            the configured ports
  ports status        what each listener made of each port
  users ls|add|set|rm the users partners log in as (wharf users, for the options)
  bans ls             addresses the brute-force defender banned
  bans rm ADDRESS     lift a ban
  endpoints ls        partners' servers that pipelines deliver to
  endpoints validate NAME
                      connect to one as a delivery would, and report TLS, certificate, login, PROT P, EPSV/PASV
  pipelines ls        which stored files go to which endpoint
  dlq ls              deliveries outbound gave up on (the dead-letter stream)
  dlq replay SEQ...   try them again (--all, optionally --pipeline NAME, for every one)
  transfers ls        files stored in the last day (--since 7d | TIME), who sent them, their checksum, where they were
                      delivered (--user USER, --status stored|delivering|delivered|superseded|failed, --limit N)
  transfers show ID   one stored file's whole history: every delivery try, the partner's answer, errors
  secrets status      sealed secrets per key id, and whether this keyring opens them
  secrets rotate      re-wrap every sealed secret under the keyring's current key (docs/secrets.md)
  config dump         the configuration as YAML that apply -f accepts; secrets are not exported
  audit ls            configuration changes made with these commands, newest last: when, who (WHARF_ADMIN_NAME, else
                      the system user), command, bucket/key, old→new digest (--since 7d | TIME, --bucket NAME,
                      --actor NAME, --limit N)
  certs init --dir DIR [--hosts a,b] [--days N] [--force]
                      an internal CA for gRPC between the listener/outbound and storage: a certificate per service and
                      auth's session-grant keys (wharf start makes its own under <data>/pki); certs issue adds one more
  nats init [--dir DIR]
                      the NATS identities of a deployment: an nkey seed per service and for the CLI, and the
                      permissions file for nats-server (wharf start makes its own under <data>/nats-identities)
  help                show this text

The commands that talk to a running Wharf use WHARF_NATS_URL or NATS_URL (default nats://127.0.0.1:14222),
as the admin identity: WHARF_NATS_NKEY_FILE, or the seed wharf start made (<WHARF_DATA_DIR>/nats-identities/admin.nk).
Each change they make is recorded on the event stream (wharf audit ls); one that cannot be recorded stops the command.
Secrets given as values are sealed with the keyring of WHARF_SECRETS_KEY_FILE or WHARF_SECRETS_KEY.
`;

// A command that cannot reach NATS, or is refused, says so in one line instead of a stack trace.
process.on("uncaughtException", (error) => {
  process.stderr.write(error.name === "CliConnectError" ? `wharf: ${error.message}\n` : `${error.stack ?? error}\n`);
  process.exit(1);
});

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);
/** A change whose audit event could not be published (or not made for want of one): its message and exit code 1, not a stack trace. */
const audited = (run: Promise<number>) =>
  run.catch((error: unknown) => {
    if (!(error instanceof AuditedWriteError)) throw error;
    err(`wharf ${command}: ${error.message}`);
    return 1;
  });
const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case "start":
    process.exitCode = await start();
    break;
  case "apply": {
    const flag = rest.indexOf("-f");
    process.exitCode = await audited(applyCommand(flag === -1 ? undefined : rest[flag + 1], process.env, out, err));
    break;
  }
  case "ports":
    process.exitCode = await portsCommand(rest[0], process.env, out, err);
    break;
  case "users":
    process.exitCode = await audited(usersCommand(rest, process.env, { out, err, stdin: process.stdin }));
    break;
  case "bans":
    process.exitCode = await audited(bansCommand(rest, process.env, out, err));
    break;
  case "endpoints":
  case "pipelines":
    process.exitCode = await outboundSettingsCommand(command, rest, process.env, out, err);
    break;
  case "dlq":
    process.exitCode = await audited(dlqCommand(rest, process.env, out, err));
    break;
  case "secrets":
    process.exitCode = await audited(secretsCommand(rest, process.env, out, err));
    break;
  case "config":
    process.exitCode = await configCommand(rest, process.env, out, err);
    break;
  case "transfers":
    process.exitCode = await transfersCommand(rest, process.env, out, err);
    break;
  case "certs":
    process.exitCode = await certsCommand(rest, out, err);
    break;
  case "nats":
    process.exitCode = await natsCommand(rest, process.env, out, err);
    break;
  case "audit":
    process.exitCode = await auditCommand(rest, process.env, out, err);
    break;
  case "help":
  case "--help":
  case "-h":
    process.stdout.write(USAGE);
    break;
  default:
    process.stderr.write(command ? `wharf: unknown command "${command}"\n\n${USAGE}` : USAGE);
    process.exitCode = 2;
}
