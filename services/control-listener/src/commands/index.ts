import { abor } from "./abor.js";
import { appe } from "./appe.js";
import { authTls } from "./auth.js";
import { cdup } from "./cdup.js";
import type { Command } from "./command.js";
import { cwd } from "./cwd.js";
import { dele } from "./dele.js";
import { epsv } from "./epsv.js";
import { feat } from "./feat.js";
import { hash, xsha256 } from "./hash.js";
import { createHelp } from "./help.js";
import { list, mlsd, mlst, nlst } from "./list.js";
import { mdtm } from "./mdtm.js";
import { mfmt } from "./mfmt.js";
import { mkd } from "./mkd.js";
import { allo, mode, notOffered, stru } from "./modes.js";
import { noop } from "./noop.js";
import { opts } from "./opts.js";
import { pass } from "./pass.js";
import { pasv } from "./pasv.js";
import { pbsz } from "./pbsz.js";
import { eprt, port } from "./port.js";
import { prot } from "./prot.js";
import { pwd } from "./pwd.js";
import { quit } from "./quit.js";
import { rest } from "./rest.js";
import { retr } from "./retr.js";
import { rmd } from "./rmd.js";
import { rnfr } from "./rnfr.js";
import { rnto } from "./rnto.js";
import { site } from "./site.js";
import { size } from "./size.js";
import { stat } from "./stat.js";
import { stou } from "./stou.js";
import { stor } from "./stor.js";
import { syst } from "./syst.js";
import { type } from "./type.js";
import { user } from "./user.js";

export type { Command } from "./command.js";
export type CommandTable = ReadonlyMap<string, Command>;

/** Every verb the engine answers, by name. XPWD/XMKD/… are the RFC 775 aliases some clients still send. */
export function createCommandTable(): CommandTable {
  const table = new Map<string, Command>();
  const add = (command: Command, ...aliases: string[]) => {
    for (const verb of [command.verb, ...aliases]) table.set(verb, command);
  };
  for (const command of [abor, allo, appe, authTls, cdup, cwd, dele, eprt, epsv, feat, hash, list, mdtm, mfmt, mkd, mlsd, mlst, mode, nlst, noop, opts, pass, pasv, pbsz, port, prot, pwd, quit, rest, retr, rmd, rnfr, rnto, site, size, stat, stor, stou, stru, syst, type, user, xsha256]) {
    add(command);
  }
  for (const command of notOffered) add(command);
  add(pwd, "XPWD");
  add(cwd, "XCWD");
  add(cdup, "XCUP");
  add(mkd, "XMKD");
  add(rmd, "XRMD");
  add(createHelp(() => table));
  return table;
}
