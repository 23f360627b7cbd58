// Paths of test fixtures, found from the repository root whatever folder the compiled tests run from.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("package.json not found above the tests");
    dir = parent;
  }
  return dir;
}

export const ROOT = repoRoot();
export const FIXTURES = join(ROOT, "test", "fixtures");
export const CORPUS = join(FIXTURES, "corpus");

export function fixture(...parts: string[]): string {
  return join(FIXTURES, ...parts);
}

export interface ExpectedLine {
  key: string;
  output: string;
}

/** Lines of corpus/expected/<name>.jsonl. */
export function expectedLines(name: string): ExpectedLine[] {
  return readFileSync(join(CORPUS, "expected", `${name}.jsonl`), "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as ExpectedLine);
}
