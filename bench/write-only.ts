// The output floor: a given number of bytes written through the export's own file output (FileSink: 2 MiB writes
// from shared memory, as the format workers hand them over, then the final sync), nothing computed.
// Usage: node dist/bench/write-only.js FILE BYTES
import { FileSink } from "../src/sinks/file.js";

const [path, total] = [process.argv[2] as string, Number(process.argv[3])];
const block = Buffer.from(new SharedArrayBuffer(2 << 20)).fill(0x61);
const sink = await FileSink.open(path);
for (let left = total; left > 0; left -= block.length)
  await sink.write(block.subarray(0, Math.min(left, block.length)));
await sink.close();
