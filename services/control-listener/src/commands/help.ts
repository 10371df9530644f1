import type { Command } from "./command.js";

/** HELP: the verbs this server understands, or one verb's syntax. */
export function createHelp(verbs: () => ReadonlyMap<string, Command>): Command {
  return {
    verb: "HELP",
    beforeLogin: true,
    syntax: "HELP [<sp> command]",
    run(session, argument) {
      const table = verbs();
      const asked = argument.trim().toUpperCase();
      if (asked) {
        const command = table.get(asked);
        return command ? session.reply(214, `Syntax: ${command.syntax}`) : session.reply(502, "Unknown command.");
      }
      const names = [...table.keys()].sort();
      const rows: string[] = [];
      for (let i = 0; i < names.length; i += 8) rows.push(names.slice(i, i + 8).join(" "));
      session.reply(214, ["The following commands are recognized.", ...rows, "Help OK."]);
    },
  };
}
