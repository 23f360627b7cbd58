// References in configuration values: `${NAME}` (environment), `${NAME:-default}`, `${file:PATH}` (a secret kept
// in a file, trailing newline removed) and `$$` for a literal `$`. Expanded on the YAML tree, before validation, so
// that a value that is a number once expanded (`port: ${SYSLOG_PORT}`) is checked as a number.

/** A reference that cannot be resolved; the loader adds the file and key path. */
export class ExpansionError extends Error {
  override name = "ExpansionError";
}

export interface ExpansionContext {
  env: Readonly<Record<string, string | undefined>>;
  readFile: (path: string) => string;
}

const REFERENCE = /\$\$|\$\{([^}]*)\}/g;

/** True when the text holds anything to expand (the common case, a plain value, costs one search). */
export function hasReference(text: string): boolean {
  return text.includes("$");
}

export function expandText(text: string, context: ExpansionContext): string {
  return text.replace(REFERENCE, (whole: string, body: string | undefined) => {
    if (whole === "$$") return "$";
    return resolve((body ?? "").trim(), context);
  });
}

function resolve(body: string, context: ExpansionContext): string {
  if (body.startsWith("file:")) {
    const path = body.slice(5).trim();
    if (path === "") throw new ExpansionError("a file reference needs the path of the file after file:");
    let text: string;
    try {
      text = context.readFile(path);
    } catch (err) {
      throw new ExpansionError(
        `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
    return text.replace(/\r?\n$/, "");
  }
  const dash = body.indexOf(":-");
  const name = dash < 0 ? body : body.slice(0, dash);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
    throw new ExpansionError(
      `"\${${body}}" is not a reference: use \${NAME}, \${NAME:-default} or \${file:PATH}`,
    );
  const value = context.env[name];
  if (value !== undefined && value !== "") return value;
  if (dash >= 0) return body.slice(dash + 2);
  throw new ExpansionError(`environment variable ${name} is not set`);
}
