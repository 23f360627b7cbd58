// Bus credentials from the CB server's /etc/cb/cb.conf (ARCHIVE.md §1.2): Key=Value lines without a section,
// read like the forwarder's INI reader (keys of the unnamed section, whitespace trimmed, `#`/`;` comments).
import { readFile } from "node:fs/promises";

export const DEFAULT_CB_CONF = "/etc/cb/cb.conf";

export interface BusCredentials {
  user: string;
  password: string;
}

/** A cb.conf that cannot be read or holds no usable credentials; the message names the file. */
export class CbConfError extends Error {
  override name = "CbConfError";
}

/**
 * Keys of the unnamed section. Like go-ini, a key is split at the first `=`, both sides trimmed, later keys
 * win, values are taken verbatim (no unquoting). Lines that are neither assignments nor sections are skipped:
 * only two keys matter here, and an odd line elsewhere in the server's file must not stop the export.
 */
export function parseIniTopSection(text: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    if (/^\[.*\]$/.test(line)) break;
    const eq = line.indexOf("=");
    if (eq <= 0) continue;
    const key = line.slice(0, eq).trim();
    if (key !== "") keys.set(key, line.slice(eq + 1).trim());
  }
  return keys;
}

/** RabbitMQUser / RabbitMQPassword of a cb.conf text; `file` names it in errors. */
export function credentialsFromCbConf(text: string, file: string): BusCredentials {
  const keys = parseIniTopSection(text);
  const user = keys.get("RabbitMQUser");
  const password = keys.get("RabbitMQPassword");
  if (user === undefined || user === "") throw new CbConfError(`${file}: no RabbitMQUser key`);
  if (password === undefined) {
    // EDR 7.7+ stores a token; the password derives from it with a salt only Carbon Black's builds know.
    const hint = keys.has("RabbitMQToken")
      ? " (EDR 7.7+ keeps only RabbitMQToken: give the password in --url amqp://user:password@host:port)"
      : "";
    throw new CbConfError(`${file}: no RabbitMQPassword key${hint}`);
  }
  return { user, password };
}

export async function readCbConf(file: string): Promise<BusCredentials> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    throw new CbConfError(`cannot read ${file}: ${(err as Error).message}`);
  }
  return credentialsFromCbConf(text, file);
}
