import { basename, resolve } from "node:path";
import { parseArgs } from "node:util";
import { natsIdentityDirOf, seedFileOf, writeNatsAuthorization } from "@wharf/bus";
import { natsIdentities } from "@wharf/contracts";

const ENV_OF = { auth: "auth", storage: "storage", listener: "control-listener", outbound: "outbound", admin: "the wharf CLI" } as const;

/**
 * `wharf nats init [--dir DIR]`: the NATS identities of a deployment. One nkey seed per service and one for
 * the CLI's admin (kept when they exist, so running it again after an upgrade only rewrites the permissions),
 * and the `authorization` block for nats-server, which holds only public keys and what each may do.
 */
export async function natsCommand(args: string[], env: NodeJS.ProcessEnv, out: (line: string) => void, err: (line: string) => void): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== "init") {
    err(sub ? `wharf nats: unknown command "${sub}" (wharf nats init [--dir DIR])` : "usage: wharf nats init [--dir DIR]");
    return 2;
  }
  let dir: string;
  try {
    const { values } = parseArgs({ args: rest, options: { dir: { type: "string" } }, strict: true });
    dir = resolve(values.dir ?? natsIdentityDirOf(resolve(env.WHARF_DATA_DIR || "data")));
  } catch (error) {
    err(`wharf nats init: ${(error as Error).message} (usage: wharf nats init [--dir DIR])`);
    return 2;
  }
  let file: string;
  try {
    file = await writeNatsAuthorization(dir);
  } catch (error) {
    err(`wharf nats init: cannot write ${dir}: ${(error as Error).message}`);
    return 1;
  }
  out(`NATS identities in ${dir} (seeds mode 0600: copy each only to the service it names)`);
  for (const identity of natsIdentities) out(`  ${seedFileOf(dir, identity).padEnd(Math.max(40, dir.length + 14))} WHARF_NATS_NKEY_FILE for ${ENV_OF[identity]}`);
  // nats-server takes an include's path as relative to the including file's folder, even one that starts with "/".
  out(`nats-server: add  include "<path of ${basename(file)} relative to the configuration file's folder>"  to its configuration (every node of a cluster), then reload it`);
  out("Run this again after an upgrade: the seeds stay, the permissions follow Wharf's subjects.");
  return 0;
}
