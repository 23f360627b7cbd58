// `npm run bench`: whole-process export throughput on a realistic 1,000,000-event archive.
// The archive is generated once into .bench/ (ignored by git) with `cbexport generate`.
import { spawn } from "node:child_process";
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

const ROOT = process.cwd();
const CLI = join(ROOT, "dist", "src", "cli", "main.js");
const BENCH = join(ROOT, ".bench");
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const ARCHIVE = join(BENCH, `archive-${EVENTS}`);
// Writes the child's peak RSS (KiB) to the file named in BENCH_RSS_FILE when it exits.
const RSS_HOOK =
  "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>writeFileSync(process.env.BENCH_RSS_FILE,String(process.resourceUsage().maxRSS)))";

interface Result {
  name: string;
  seconds: number;
  eventsPerSecond: number;
  inputMBps: number;
  outputMBps: number;
  peakRssMB: number;
  ratioToFraming: number;
}

function run(args: string[]): Promise<{ seconds: number; rssKB: number }> {
  const rssFile = join(BENCH, "rss.txt");
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, ["--import", RSS_HOOK, ...args], {
      stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, BENCH_RSS_FILE: rssFile },
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      if (code !== 0) reject(new Error(`${args.join(" ")} exited ${code}`));
      else resolve({ seconds, rssKB: Number(readFileSync(rssFile, "utf8")) });
    });
  });
}

/** Every file under a folder, sorted. */
function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((entry) => listFiles(join(path, entry)));
}

function duSize(path: string): number {
  let total = 0;
  const walk = (p: string) => {
    const s = statSync(p);
    if (s.isDirectory()) for (const e of readdirSync(p)) walk(join(p, e));
    else total += s.size;
  };
  walk(path);
  return total;
}

async function main(): Promise<void> {
  mkdirSync(BENCH, { recursive: true });
  if (!existsSync(ARCHIVE)) {
    process.stderr.write(`generating ${EVENTS} events into ${ARCHIVE} (once)\n`);
    await run([CLI, "generate", "--out", ARCHIVE, "--events", String(EVENTS), "--seed", "1"]);
  }
  const inputBytes = duSize(ARCHIVE);
  const framing = await run([join(ROOT, "dist", "bench", "frame-only.js"), ARCHIVE]);
  const cases: [string, string[]][] = [
    ["forwarder JSON", ["--format", "json", "--profile", "forwarder"]],
    ["forwarder-3.8 JSON", ["--format", "json", "--profile", "forwarder-3.8"]],
    ["forwarder LEEF", ["--format", "leef", "--profile", "forwarder"]],
    ["CSV", ["--format", "csv"]],
  ];
  const results: Result[] = [];
  const framingRate = EVENTS / framing.seconds;
  results.push(result("framing only (reference)", framing, inputBytes, 0, framingRate));
  const out = join(BENCH, "out.txt");
  // This VM's memory is backed by the host on first touch: the first run to fill page cache pages that were never
  // used (or were handed back) paid up to 1 s more for 540 MB, so whichever case ran first looked slow. Writing
  // as much as the largest output once, untimed, puts every case on the same footing.
  const outputBytes = 2 * inputBytes * (process.env.BENCH_BIG === "1" ? 4 : 1);
  await run([join(ROOT, "dist", "bench", "write-only.js"), out, String(outputBytes)]);
  rmSync(out, { force: true });
  let jsonBytes = 0;
  for (const [name, args] of cases) {
    rmSync(out, { force: true });
    const timing = await run([CLI, "export", "--server-name", "bench", "--output", out, ...args, ARCHIVE]);
    const outBytes = statSync(out).size;
    if (jsonBytes === 0) jsonBytes = outBytes;
    results.push(result(name, timing, inputBytes, outBytes, framingRate));
    rmSync(out, { force: true });
  }
  // What the disk alone costs: the forwarder JSON output's bytes written and synced, nothing computed.
  const floor = await run([join(ROOT, "dist", "bench", "write-only.js"), out, String(jsonBytes)]);
  results.push(result("write JSON bytes only (floor)", floor, 0, jsonBytes, framingRate));
  rmSync(out, { force: true });
  if (process.env.BENCH_BIG === "1") {
    // Memory must not grow with the input: the whole archive four times over, as one file of about 1 GB.
    const big = join(BENCH, `big-${EVENTS}`, "7", "one.log");
    if (!existsSync(big)) {
      mkdirSync(dirname(big), { recursive: true });
      const parts = listFiles(ARCHIVE);
      for (let i = 0; i < 4; i++) for (const part of parts) appendFileSync(big, readFileSync(part));
    }
    const timing = await run([
      CLI,
      "export",
      "--server-name",
      "bench",
      "--output",
      out,
      dirname(dirname(big)),
    ]);
    const bigResult = result(
      "forwarder JSON, one 1 GB file",
      timing,
      statSync(big).size,
      statSync(out).size,
      framingRate,
    );
    bigResult.eventsPerSecond *= 4;
    bigResult.ratioToFraming *= 4;
    results.push(bigResult);
    rmSync(out, { force: true });
  }
  console.log(
    `${EVENTS.toLocaleString("en")} events, ${(inputBytes / 1e6).toFixed(0)} MB of archive, node ${process.version}`,
  );
  console.log("case                            events/s   in MB/s  out MB/s  peak RSS MB  vs framing");
  for (const r of results) {
    console.log(
      `${r.name.padEnd(30)} ${Math.round(r.eventsPerSecond).toLocaleString("en").padStart(10)} ${r.inputMBps
        .toFixed(0)
        .padStart(
          9,
        )} ${r.outputMBps.toFixed(0).padStart(9)} ${r.peakRssMB.toFixed(0).padStart(12)} ${r.ratioToFraming
        .toFixed(3)
        .padStart(11)}`,
    );
  }
  const file = join(BENCH, "results.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), events: EVENTS, inputBytes, results }, null, 2)}\n`,
  );
  console.log(`results written to ${file}`);
}

function result(
  name: string,
  t: { seconds: number; rssKB: number },
  inBytes: number,
  outBytes: number,
  framingRate: number,
): Result {
  const eventsPerSecond = EVENTS / t.seconds;
  return {
    name,
    seconds: t.seconds,
    eventsPerSecond,
    inputMBps: inBytes / 1e6 / t.seconds,
    outputMBps: outBytes / 1e6 / t.seconds,
    peakRssMB: t.rssKB / 1024,
    ratioToFraming: eventsPerSecond / framingRate,
  };
}

await main();
