// Running `cbexport run` in tests: start it, read its JSON log, find its status endpoint, ask it over HTTP.
import { type ChildProcess, spawn } from "node:child_process";
import { request } from "node:http";
import { CLI } from "./cli.js";
import { waitFor } from "./follow.js";

export interface ServiceProcess {
  child: ChildProcess;
  /** Log records (JSON lines on stderr) so far. */
  logs: () => Record<string, unknown>[];
  stderr: () => string;
  exited: Promise<number | null>;
}

export function startRun(config: string, env: Record<string, string> = {}): ServiceProcess {
  const child = spawn(process.execPath, [CLI, "run", "--config", config], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...env },
  });
  const err: Buffer[] = [];
  child.stderr?.on("data", (d: Buffer) => err.push(d));
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const stderr = () => Buffer.concat(err).toString("utf8");
  const logs = () =>
    stderr()
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { child, logs, stderr, exited };
}

/** The status endpoint's address, from the service's log. */
export async function statusAddress(service: ServiceProcess): Promise<string> {
  let address: string | undefined;
  await waitFor("the status endpoint", () => {
    address = service.logs().find((l) => typeof l.listen === "string")?.listen as string | undefined;
    return address !== undefined;
  });
  return address as string;
}

export function get(address: string, path: string): Promise<{ status: number; body: string; type: string }> {
  return new Promise((resolve, reject) => {
    request(`http://${address}${path}`, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          type: String(res.headers["content-type"]),
        }),
      );
    })
      .on("error", reject)
      .end();
  });
}

/** A sample's value in Prometheus text, e.g. metric(text, 'cbexport_events_out_total{output="local"}'). */
export function metric(text: string, sample: string): number | undefined {
  for (const line of text.split("\n"))
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  return undefined;
}
