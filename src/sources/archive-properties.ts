// Where the CB server keeps its archive: /etc/cb/datastore/archive.properties (ARCHIVE.md §1.1), a Java
// properties file, parsed properly (comments, ':' or '=' separators, continuation lines, backslash escapes).
import { readFile } from "node:fs/promises";

export const DEFAULT_ARCHIVE_PROPERTIES = "/etc/cb/datastore/archive.properties";
const LOCATION_KEY = "cbfs-http.log-archive.filesystem.location";
const TYPE_KEY = "cbfs-http.log-archive.type";

/** Parses Java properties text into key → value (later keys win, as in java.util.Properties). */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(/^[ \t\f]+/, "");
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    // A line ending in an odd number of backslashes continues on the next one.
    while (endsWithOddBackslashes(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i].replace(/^[ \t\f]+/, "");
    }
    const [key, value] = splitKeyValue(line);
    props.set(unescapeJava(key), unescapeJava(value));
  }
  return props;
}

function endsWithOddBackslashes(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

function splitKeyValue(line: string): [string, string] {
  let i = 0;
  while (i < line.length) {
    const c = line[i];
    if (c === "\\") {
      i += 2;
      continue;
    }
    if (c === "=" || c === ":" || c === " " || c === "\t" || c === "\f") break;
    i++;
  }
  const key = line.slice(0, i);
  let j = i;
  while (j < line.length && (line[j] === " " || line[j] === "\t" || line[j] === "\f")) j++;
  if (j < line.length && (line[j] === "=" || line[j] === ":")) j++;
  while (j < line.length && (line[j] === " " || line[j] === "\t" || line[j] === "\f")) j++;
  return [key, line.slice(j)];
}

const ESCAPES: Record<string, string> = { t: "\t", n: "\n", r: "\r", f: "\f" };

function unescapeJava(text: string): string {
  if (!text.includes("\\")) return text;
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== "\\" || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const next = text[++i];
    if (next === "u" && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 1, i + 5))) {
      out += String.fromCharCode(Number.parseInt(text.slice(i + 1, i + 5), 16));
      i += 4;
    } else out += ESCAPES[next] ?? next;
  }
  return out;
}

/** The archive folder named by the properties file; a clear error when archiving is not set up there. */
export async function archiveLocation(path = DEFAULT_ARCHIVE_PROPERTIES): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new Error(
      `cannot read ${path}: ${(err as Error).message} (is archiving enabled on this CB server?)`,
    );
  }
  const props = parseProperties(text);
  const type = props.get(TYPE_KEY);
  if (type !== "filesystem") {
    throw new Error(
      type === undefined
        ? `${path} has no ${TYPE_KEY}; archiving needs ${TYPE_KEY}=filesystem`
        : `${path}: ${TYPE_KEY} is "${type}", only "filesystem" archives can be read`,
    );
  }
  const location = props.get(LOCATION_KEY)?.trim();
  if (location === undefined || location === "") throw new Error(`${path} has no ${LOCATION_KEY}`);
  return location;
}
