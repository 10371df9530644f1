/**
 * npm run scale -- [--files 1000] [--partners 16] [--faults kill|rolling|none] [--pause-ms N] [--logs DIR]
 *
 * Starts the scaled-out stack on loopback (stack.ts), runs the load with the
 * faults asked for (scenario.ts), prints every count it checked, and exits 1
 * when a check failed: a stored file missing or changed, a file delivered
 * twice or never, a dead letter, a half-done file listed, a file never stored.
 * With --logs, every instance's output (at info) is written to DIR/<instance>.log.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { describe, verdict } from "./report.js";
import { PARTNER_PASSWORD, PARTNER_PASSWORD_ENV, runScenario, type ScenarioReport } from "./scenario.js";
import { startScaleStack } from "./stack.js";

const { values } = parseArgs({
  options: {
    files: { type: "string", default: "1000" },
    partners: { type: "string", default: "16" },
    faults: { type: "string", default: "kill" },
    // Each partner's pause between files; a rolling restart needs a load that lasts through it.
    "pause-ms": { type: "string" },
    logs: { type: "string" },
  },
});
const files = Number(values.files);
const partners = Number(values.partners);
const faults = values.faults as "kill" | "rolling" | "none";
const pauseMs = Number(values["pause-ms"] ?? (faults === "rolling" ? 1_500 : 0));
if (!Number.isInteger(files) || files < 1 || !Number.isInteger(partners) || partners < 1 || partners > 200 || !["kill", "rolling", "none"].includes(faults) || !Number.isInteger(pauseMs) || pauseMs < 0) {
  process.stderr.write("usage: npm run scale -- [--files N>=1] [--partners 1-200] [--faults kill|rolling|none] [--pause-ms N] [--logs DIR]\n");
  process.exit(2);
}

const say = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
say(`starting: 3 NATS nodes, 2 × auth, storage, outbound, listener, HAProxy (PROXY v2)`);
const stack = await startScaleStack({ env: { [PARTNER_PASSWORD_ENV]: PARTNER_PASSWORD }, logLevel: values.logs ? "info" : "warn", maxSessionsPerIp: 4 });
let report: ScenarioReport | undefined;
try {
  say(`running ${files} files from ${partners} partners, faults: ${faults}`);
  report = await runScenario(stack, { files, partners, faults, say, pauseMs });
} finally {
  if (values.logs) {
    await mkdir(values.logs, { recursive: true });
    for (const service of stack.services) await writeFile(join(values.logs, `${service.name}.log`), `${service.output.join("\n")}\n`);
    say(`instance logs in ${values.logs}`);
  }
  await stack.stop();
}
if (!report) process.exit(1);
const failures = verdict(report);
for (const line of describe(report)) say(line);
for (const line of failures) say(`FAILED: ${line}`);
process.exit(failures.length > 0 ? 1 : 0);
