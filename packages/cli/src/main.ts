#!/usr/bin/env node
import { start } from "./start/launcher.js";

const USAGE = `usage: wharf <command>

commands:
  start    run Wharf on this machine: nats-server (unless NATS_URL is set) and the four services
  help     show this text
`;

const [command] = process.argv.slice(2);
switch (command) {
  case "start":
    process.exitCode = await start();
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
