// The records of a generated archive, as the direct-writer comparisons read them.
import { readFileSync } from "node:fs";
import type { RecordContext } from "../../../src/decode/event.js";
import { frameBuffer } from "../../../src/decode/framing.js";
import { fileContext, listArchiveFiles } from "../../../src/sources/archive.js";

export interface ArchiveRecord {
  name: string;
  payload: Buffer;
  context: RecordContext;
}

/** Every record of the archive under `dir`, with the context the export gives it (sensor from the folder). */
export async function archiveRecords(dir: string): Promise<ArchiveRecord[]> {
  const all: ArchiveRecord[] = [];
  for (const file of await listArchiveFiles([dir])) {
    const context = fileContext(file, {});
    for (const frame of frameBuffer(readFileSync(file.path)).frames) {
      all.push({ name: `${file.path}@${frame.offset}`, payload: frame.payload, context });
    }
  }
  return all;
}
