// Running `cbexport follow` as a background process in tests, and waiting for conditions (never for time).
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { CLI } from "./cli.js";

export interface FollowProcess {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startFollow(args: string[]): FollowProcess {
  const child = spawn(process.execPath, [CLI, "follow", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  const err: Buffer[] = [];
  child.stderr?.on("data", (d: Buffer) => err.push(d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stderr: () => Buffer.concat(err).toString("utf8"), exited };
}

/** Polls until `condition` holds; fails with `what` after `timeoutMs` (generous: this is not a timing test). */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 60000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, "utf8");
  let n = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", i + 1)) n++;
  return n;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
