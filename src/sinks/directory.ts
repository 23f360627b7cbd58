// Creating the folders that outputs, spools and state live in, parents included (`mkdir -p`).
import { mkdir, stat } from "node:fs/promises";
import { dirname } from "node:path";

/**
 * Creates `path` and any missing parents. Unlike `mkdir(path, { recursive: true })`, which loops for ever where
 * the file system refuses a folder with ENOENT although its parent exists (under /proc, say), a level that
 * cannot be created ends it with that level's error.
 */
export async function makeDirectory(path: string): Promise<void> {
  try {
    await mkdir(path);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST" && (await isDirectory(path))) return;
    const parent = dirname(path);
    if (code !== "ENOENT" || parent === path) throw err;
    await makeDirectory(parent);
  }
  try {
    await mkdir(path);
  } catch (err) {
    // Created meanwhile by someone else: as good.
    if ((err as NodeJS.ErrnoException).code !== "EEXIST" || !(await isDirectory(path))) throw err;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() === true;
}
