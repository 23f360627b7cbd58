// The output floor: writing a given number of bytes to a file in 1 MiB writes, then fsyncing it, as the export
// does at its end. Usage: node dist/bench/write-only.js FILE BYTES
import { closeSync, fdatasyncSync, openSync, writeSync } from "node:fs";

const [path, total] = [process.argv[2], Number(process.argv[3])];
const block = Buffer.alloc(1 << 20, 0x61);
const fd = openSync(path, "w");
for (let left = total; left > 0; left -= block.length) writeSync(fd, block, 0, Math.min(left, block.length));
fdatasyncSync(fd);
closeSync(fd);
