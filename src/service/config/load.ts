// Reading the configuration file: YAML with positions, references expanded, checked against the schema. Every
// problem is reported at once, as "FILE:LINE:COLUMN: key.path: what was expected".
import { readFileSync } from "node:fs";
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
  parse as parseYaml,
} from "yaml";
import type { ZodError } from "zod";
import { type ExpansionContext, ExpansionError, expandText, hasReference } from "./expand.js";
import { configSchema, type ServiceConfig } from "./schema.js";

export type KeyPath = readonly (string | number)[];

export interface ConfigProblem {
  path: KeyPath;
  message: string;
}

/** A configuration that cannot be used; `message` lists every problem with file, line and key path. */
export class ConfigError extends Error {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly problems: readonly (ConfigProblem & { line?: number | undefined; col?: number | undefined })[],
  ) {
    super(problems.map((p) => describeProblem(file, p)).join("\n"));
  }
}

function describeProblem(
  file: string,
  p: ConfigProblem & { line?: number | undefined; col?: number | undefined },
) {
  const where = p.line === undefined ? file : `${file}:${p.line}:${p.col ?? 1}`;
  return p.path.length === 0 ? `${where}: ${p.message}` : `${where}: ${keyPath(p.path)}: ${p.message}`;
}

/** `outputs.siem.filter.where[0].field` */
export function keyPath(path: KeyPath): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? part : `.${part}`;
  }
  return out;
}

export interface LoadedConfig {
  file: string;
  config: ServiceConfig;
  /** A ConfigError for problems found after the schema (e.g. an output URL), placed in the file. */
  error(problems: readonly ConfigProblem[]): ConfigError;
}

export interface LoadOptions {
  env?: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => string;
}

export function loadConfig(file: string, options: LoadOptions = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new ConfigError(file, [{ path: [], message: `cannot read it: ${(err as Error).message}` }]);
  }
  return parseConfig(file, text, options);
}

export function parseConfig(file: string, text: string, options: LoadOptions = {}): LoadedConfig {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true });
  const located = (problems: readonly ConfigProblem[]) =>
    new ConfigError(
      file,
      problems.map((p) => ({ ...p, ...position(doc.contents, p.path, lines) })),
    );
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: [],
        message: `not valid YAML: ${e.message.split("\n")[0]}`,
        line: e.linePos?.[0].line,
        col: e.linePos?.[0].col,
      })),
    );
  }
  const context: ExpansionContext = {
    env: options.env ?? process.env,
    readFile: options.readFile ?? ((path) => readFileSync(path, "utf8")),
  };
  const problems: ConfigProblem[] = [];
  expandTree(doc.contents, [], context, problems);
  if (problems.length > 0) throw located(problems);
  const input: unknown = doc.toJS() ?? {};
  const result = configSchema.safeParse(input);
  if (!result.success) throw located(schemaProblems(result.error, input));
  return { file, config: result.data, error: located };
}

/** Expands references in scalar values (never in keys), recording a problem per bad reference. */
function expandTree(node: unknown, path: KeyPath, context: ExpansionContext, problems: ConfigProblem[]) {
  if (isMap(node)) {
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      expandTree(pair.value, [...path, key], context, problems);
    }
  } else if (isSeq(node)) {
    for (const [i, item] of node.items.entries()) expandTree(item, [...path, i], context, problems);
  } else if (isScalar(node) && typeof node.value === "string" && hasReference(node.value)) {
    try {
      const expanded = expandText(node.value, context);
      // A value that is unquoted, or one reference alone, is typed after expansion: `port: "${PORT}"` is a number
      // (inside `{ }` a reference must be quoted).
      const typed = node.type === "PLAIN" || /^\$\{[^}]*\}$/.test(node.value);
      node.value = typed ? plainValue(expanded) : expanded;
    } catch (err) {
      if (!(err instanceof ExpansionError)) throw err;
      problems.push({ path, message: err.message });
    }
  }
}

function plainValue(text: string): unknown {
  try {
    const value: unknown = parseYaml(text);
    if (typeof value === "number" || typeof value === "boolean") return value;
  } catch {
    // not a plain scalar: keep the text
  }
  return text;
}

/** Line and column of the deepest node on the path that exists (a missing key points at its parent). */
function position(root: unknown, path: KeyPath, lines: LineCounter): { line?: number; col?: number } {
  let node: unknown = root;
  let found = node;
  for (const part of path) {
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(part),
      );
      if (pair === undefined) break;
      node = pair.value;
      // A mapping or list is pointed at by its key; a value by itself.
      found = isMap(node) || isSeq(node) || node === null || node === undefined ? pair.key : node;
    } else if (isSeq(node) && typeof part === "number" && node.items[part] !== undefined) {
      node = node.items[part];
      found = node;
    } else break;
  }
  const range = (found as Node | null | undefined)?.range;
  if (range === undefined || range === null) return {};
  const { line, col } = lines.linePos(range[0]);
  return { line, col };
}

function schemaProblems(error: ZodError, input: unknown): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of error.issues) {
    const path = issue.path.filter((p): p is string | number => typeof p !== "symbol");
    switch (issue.code) {
      case "unrecognized_keys":
        for (const key of issue.keys) out.push({ path: [...path, key], message: "unknown key" });
        break;
      case "invalid_union": {
        const options = (issue as { options?: unknown[] }).options;
        const discriminator = (issue as { discriminator?: string }).discriminator;
        if (discriminator !== undefined && Array.isArray(options)) {
          const what = path[0] === "sources" ? "source" : "output";
          const given = valueAt(input, path);
          out.push({
            path,
            message:
              given === undefined
                ? `missing (the ${what} type: one of ${options.join(", ")})`
                : `unknown ${what} type ${JSON.stringify(given)} (expected one of: ${options.join(", ")})`,
          });
        } else out.push({ path, message: issue.message });
        break;
      }
      case "invalid_type":
        out.push({
          path,
          message: /received undefined$/.test(issue.message)
            ? `missing (expected ${article(issue.expected)})`
            : `expected ${article(issue.expected)} (${issue.message.replace(/^.*received /, "got ")})`,
        });
        break;
      default:
        out.push({ path, message: issue.message });
    }
  }
  return out;
}

function valueAt(value: unknown, path: KeyPath): unknown {
  let node = value;
  for (const part of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string | number, unknown>)[part];
  }
  return node;
}

function article(expected: string): string {
  if (expected === "record" || expected === "object") return "a mapping (key: value)";
  if (expected === "array") return "a list";
  if (expected === "int") return "a whole number";
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}
