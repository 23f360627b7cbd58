// Records from any byte stream (stdin, a socket, a Readable): the same framing as files, without positions to resume.
import type { Damage } from "../decode/damage.js";
import type { RecordContext } from "../decode/event.js";
import { type Frame, Framer } from "../decode/framing.js";
import { decodeFrames, type RecordBatch } from "./archive.js";

export async function* readRecordStream(
  chunks: AsyncIterable<Uint8Array>,
  context: RecordContext = {},
  maxRecordBytes?: number,
): AsyncGenerator<RecordBatch> {
  const framer = new Framer({ file: context.file, maxRecordBytes });
  for await (const chunk of chunks) {
    const frames: Frame[] = [];
    const damages: Damage[] = [];
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length);
    framer.push(buf, frames, damages);
    yield decodeFrames(frames, damages, context, framer);
    if (framer.isStopped) return;
  }
  const damages: Damage[] = [];
  framer.end(damages);
  if (damages.length > 0) yield { events: [], damages, consumed: framer.consumed, records: 0, stopped: true };
}
