// A one-line progress display on stderr, only when stderr is a terminal (never in logs or pipes).
import type { RunSummary } from "../pipeline/summary.js";

const INTERVAL_MS = 500;

/** Shows files, records, MB, events/s and an ETA while an export runs; returns a function that stops it. */
export function showExportProgress(summary: RunSummary, totalFiles: number, totalBytes: number): () => void {
  if (!process.stderr.isTTY) return () => {};
  const started = Date.now();
  const draw = () => {
    const seconds = Math.max((Date.now() - started) / 1000, 0.001);
    const rate = Math.round(summary.records / seconds);
    const doneBytes = summary.bytes;
    const eta = doneBytes > 0 ? ((totalBytes - doneBytes) * seconds) / doneBytes : Number.NaN;
    const etaText = Number.isFinite(eta) ? `, ETA ${Math.ceil(eta)} s` : "";
    process.stderr.write(
      `\r\x1b[K${summary.files}/${totalFiles} file(s), ${summary.records} record(s), ` +
        `${(doneBytes / 1048576).toFixed(1)}/${(totalBytes / 1048576).toFixed(1)} MB, ${rate} events/s${etaText}`,
    );
  };
  const timer = setInterval(draw, INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    process.stderr.write("\r\x1b[K");
  };
}
