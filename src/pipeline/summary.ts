// Counts of one run, for the closing summary and the exit status.
import { type Damage, describeDamage } from "../decode/damage.js";
import type { FormattedRun } from "./record-batch-formatter.js";

/** Damaged records named one by one on stderr before the rest are only counted. */
const DAMAGE_LINES = 1000;

export class RunSummary {
  files = 0;
  bytes = 0;
  records = 0;
  lines = 0;
  /** Exported events per kind. */
  readonly exported = new Map<string, number>();
  /** Events the profile does not export (unsupported or not selected), per kind. */
  readonly skipped = new Map<string, number>();
  /** Events that could not be rendered (reason → count). */
  readonly failed = new Map<string, number>();
  damaged = 0;
  readonly damages: Damage[] = [];

  constructor(private readonly log: (line: string) => void = (line) => process.stderr.write(`${line}\n`)) {}

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }

  damage(damage: Damage): void {
    this.damaged++;
    if (this.damages.length < DAMAGE_LINES) {
      this.damages.push(damage);
      this.log(`cbexport: damaged input: ${describeDamage(damage)}`);
    } else if (this.damaged === DAMAGE_LINES + 1) {
      this.log("cbexport: more damaged records; only counting them from now on");
    }
  }

  fail(kind: string, reason: string, where: string): void {
    this.count(this.failed, reason);
    if (this.totalFailed() <= DAMAGE_LINES)
      this.log(`cbexport: cannot format ${kind} event (${where}): ${reason}`);
  }

  /** Adds what a job of records formatted (record-batch-formatter.ts): lines, kinds, failures and damage. */
  addFormatted(run: Omit<FormattedRun, "output" | "records">): void {
    this.lines += run.lines;
    for (const [kind, n] of run.exported) this.exported.set(kind, (this.exported.get(kind) ?? 0) + n);
    for (const [kind, n] of run.skipped) this.skipped.set(kind, (this.skipped.get(kind) ?? 0) + n);
    for (const f of run.failures) this.fail(f.kind, f.reason, f.where);
    for (const damage of run.damages) this.damage(damage);
  }

  totalFailed(): number {
    let n = 0;
    for (const v of this.failed.values()) n += v;
    return n;
  }

  /** Exit status of a finished run: 0 all exported, 3 some input damaged or not convertible. */
  exitCode(): number {
    return this.damaged > 0 || this.totalFailed() > 0 ? 3 : 0;
  }

  /** The closing summary lines. */
  describe(): string[] {
    const exported = total(this.exported);
    const headline = `cbexport: ${this.files} file(s), ${this.records} record(s), ${exported} event(s) exported as ${this.lines} line(s)`;
    return [headline, ...this.details()];
  }

  /** The lines after the headline: per kind, and what was not exported (shared by every command's summary). */
  details(): string[] {
    const out: string[] = [];
    if (this.exported.size > 0) out.push(`  exported: ${list(this.exported)}`);
    if (this.skipped.size > 0) out.push(`  not exported by this profile: ${list(this.skipped)}`);
    if (this.failed.size > 0) out.push(`  failed to format: ${list(this.failed)}`);
    if (this.damaged > 0) out.push(`  damaged records: ${this.damaged} (listed above with file and offset)`);
    return out;
  }
}

function total(map: Map<string, number>): number {
  let n = 0;
  for (const v of map.values()) n += v;
  return n;
}

function list(map: Map<string, number>): string {
  return [...map.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([k, v]) => `${k} ${v}`)
    .join(", ");
}
