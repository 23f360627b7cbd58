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
/** Runs of each case (BENCH_REPEAT, default 3), interleaved: the median is reported, and the range. */
const REPEAT = Number(process.env.BENCH_REPEAT ?? 3);
// Writes the child's peak RSS (KiB) and CPU time (µs, user and system) to BENCH_RSS_FILE when it exits.
const RSS_HOOK =
  "data:text/javascript,import{writeFileSync}from'node:fs';process.on('exit',()=>{const u=process.resourceUsage();writeFileSync(process.env.BENCH_RSS_FILE,[u.maxRSS,u.userCPUTime,u.systemCPUTime].join(' '))})";

interface Timing {
  seconds: number;
  rssKB: number;
  cpuSeconds: number;
}

interface Result {
  name: string;
  /** Median of the runs. */
  seconds: number;
  eventsPerSecond: number;
  /** Slowest and fastest run. */
  eventsPerSecondRange: [number, number];
  /** User + system CPU time of the median run (2 cores: at most twice `seconds`). */
  cpuSeconds: number;
  inputMBps: number;
  outputMBps: number;
  peakRssMB: number;
  ratioToFraming: number;
}

function run(args: string[]): Promise<Timing> {
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
      else {
        const [rssKB, user, system] = readFileSync(rssFile, "utf8").split(" ").map(Number);
        resolve({
          seconds,
          rssKB: rssKB as number,
          cpuSeconds: ((user as number) + (system as number)) / 1e6,
        });
      }
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
  const framingRuns = await repeat(() => run([join(ROOT, "dist", "bench", "frame-only.js"), ARCHIVE]));
  const framing = median(framingRuns);
  const cases: [string, string[]][] = [
    ["forwarder JSON", ["--format", "json", "--profile", "forwarder"]],
    ["forwarder-3.8 JSON", ["--format", "json", "--profile", "forwarder-3.8"]],
    ["forwarder LEEF", ["--format", "leef", "--profile", "forwarder"]],
    ["CSV", ["--format", "csv"]],
  ];
  const results: Result[] = [];
  const framingRate = EVENTS / framing.seconds;
  results.push(result("framing only (reference)", framingRuns, inputBytes, 0, framingRate));
  const out = join(BENCH, "out.txt");
  // Rounds over every case rather than one case after the other: this VM's speed drifts by 10-30 % over minutes.
  const timings: Timing[][] = cases.map(() => []);
  const outBytes: number[] = [];
  for (let round = 0; round < REPEAT; round++) {
    for (const [i, [, args]] of cases.entries()) {
      rmSync(out, { force: true });
      timings[i]?.push(
        await run([CLI, "export", "--server-name", "bench", "--output", out, ...args, ARCHIVE]),
      );
      outBytes[i] = statSync(out).size;
    }
  }
  rmSync(out, { force: true });
  for (const [i, [name]] of cases.entries())
    results.push(result(name, timings[i] as Timing[], inputBytes, outBytes[i] as number, framingRate));
  // What the output alone costs: the forwarder JSON output's bytes through the same file output, nothing computed.
  const jsonBytes = outBytes[0] as number;
  const floor = await repeat(() =>
    run([join(ROOT, "dist", "bench", "write-only.js"), out, String(jsonBytes)]),
  );
  results.push(result("write JSON bytes only (floor)", floor, 0, jsonBytes, framingRate));
  rmSync(out, { force: true });
  // follow catching up the whole archive (fresh state each time): checkpoints (fsync every 4 MiB) included.
  const state = join(BENCH, "follow-state");
  const follow = await repeat(() => {
    rmSync(out, { force: true });
    rmSync(state, { recursive: true, force: true });
    return run([
      CLI,
      "follow",
      ARCHIVE,
      "--state",
      state,
      "--server-name",
      "bench",
      "--output",
      out,
      "--settle",
      "0",
      "--idle-exit",
      "0",
    ]);
  });
  results.push(result("follow catching up, JSON", follow, inputBytes, statSync(out).size, framingRate));
  rmSync(out, { force: true });
  rmSync(state, { recursive: true, force: true });
  if (process.env.BENCH_BIG === "1") {
    // Memory must not grow with the input: the whole archive four times over, as one file of about 1 GB.
    const big = join(BENCH, `big-${EVENTS}`, "7", "one.log");
    if (!existsSync(big)) {
      mkdirSync(dirname(big), { recursive: true });
      const parts = listFiles(ARCHIVE);
      for (let i = 0; i < 4; i++) for (const part of parts) appendFileSync(big, readFileSync(part));
    }
    const args = [CLI, "export", "--server-name", "bench", "--output", out, dirname(dirname(big))];
    // A fresh output each time: export appends to an existing file.
    const timing = await repeat(() => {
      rmSync(out, { force: true });
      return run(args);
    });
    const bigResult = result(
      "forwarder JSON, one 1 GB file",
      timing,
      statSync(big).size,
      statSync(out).size,
      framingRate,
      4,
    );
    results.push(bigResult);
    rmSync(out, { force: true });
  }
  console.log(
    `${EVENTS.toLocaleString("en")} events, ${(inputBytes / 1e6).toFixed(0)} MB of archive, node ${process.version}`,
  );
  console.log(`median of ${REPEAT} run(s) per case; range: slowest to fastest run`);
  console.log(
    "case                            events/s             range   CPU s   in MB/s  out MB/s  peak RSS MB  vs framing",
  );
  const thousands = (n: number) => `${Math.round(n / 1000)}k`;
  for (const r of results) {
    const [slow, fast] = r.eventsPerSecondRange;
    console.log(
      [
        r.name.padEnd(30),
        Math.round(r.eventsPerSecond).toLocaleString("en").padStart(10),
        `${thousands(slow)}-${thousands(fast)}`.padStart(17),
        r.cpuSeconds.toFixed(2).padStart(7),
        r.inputMBps.toFixed(0).padStart(9),
        r.outputMBps.toFixed(0).padStart(9),
        r.peakRssMB.toFixed(0).padStart(12),
        r.ratioToFraming.toFixed(3).padStart(11),
      ].join(" "),
    );
  }
  const file = join(BENCH, "results.json");
  writeFileSync(
    file,
    `${JSON.stringify({ date: new Date().toISOString(), events: EVENTS, inputBytes, results }, null, 2)}\n`,
  );
  console.log(`results written to ${file}`);
}

async function repeat(once: () => Promise<Timing>): Promise<Timing[]> {
  const timings: Timing[] = [];
  for (let i = 0; i < REPEAT; i++) timings.push(await once());
  return timings;
}

function median(timings: Timing[]): Timing {
  const sorted = [...timings].sort((a, b) => a.seconds - b.seconds);
  return sorted[Math.floor((sorted.length - 1) / 2)] as Timing;
}

/** `times`: how many times the archive's events the input holds. */
function result(
  name: string,
  timings: Timing[],
  inBytes: number,
  outBytes: number,
  framingRate: number,
  times = 1,
): Result {
  const t = median(timings);
  const events = EVENTS * times;
  const seconds = timings.map((x) => x.seconds);
  const eventsPerSecond = events / t.seconds;
  return {
    name,
    seconds: t.seconds,
    eventsPerSecond,
    eventsPerSecondRange: [events / Math.max(...seconds), events / Math.min(...seconds)],
    cpuSeconds: t.cpuSeconds,
    inputMBps: inBytes / 1e6 / t.seconds,
    outputMBps: outBytes / 1e6 / t.seconds,
    peakRssMB: Math.max(...timings.map((x) => x.rssKB)) / 1024,
    ratioToFraming: eventsPerSecond / framingRate,
  };
}

await main();
