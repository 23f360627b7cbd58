// The physical reference: read and frame every record of an archive, nothing else.

import { open } from "node:fs/promises";
import type { Damage } from "../src/decode/damage.js";
import { type Frame, Framer } from "../src/decode/framing.js";
import { listArchiveFiles } from "../src/sources/archive.js";

const files = await listArchiveFiles(process.argv.slice(2));
let records = 0;
const chunk = Buffer.allocUnsafe(1 << 20);
for (const file of files) {
  const framer = new Framer();
  const handle = await open(file.path, "r");
  const frames: Frame[] = [];
  const damages: Damage[] = [];
  for (;;) {
    const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
    if (bytesRead === 0) break;
    framer.push(Buffer.from(chunk.subarray(0, bytesRead)), frames, damages);
    records += frames.length;
    frames.length = 0;
  }
  await handle.close();
}
process.stderr.write(`framed ${records} records\n`);
