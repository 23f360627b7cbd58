// The physical reference: read and frame every record of an archive, nothing else (the export's own reader).
import { listArchiveFiles } from "../src/sources/archive.js";
import { readRecordRuns } from "../src/sources/record-runs.js";

const files = await listArchiveFiles(process.argv.slice(2));
let records = 0;
const spare: Buffer[] = [];
// Buffers reused, as the export's workers hand them back.
const alloc = (size: number) => {
  const b = spare.pop();
  return b !== undefined && b.length >= size ? b : Buffer.allocUnsafeSlow(size);
};
for (const file of files) {
  for (const run of readRecordRuns(file.path, { runBytes: 512 * 1024, alloc })) {
    const buf = run.records;
    for (let pos = 0; pos + 4 <= buf.length; pos += 4 + buf.readUInt32LE(pos)) records++;
    spare.push(Buffer.from(buf.buffer));
  }
}
process.stderr.write(`framed ${records} records\n`);
