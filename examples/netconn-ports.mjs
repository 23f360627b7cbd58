// Arbitrary processing with the cbexport library: count network connections per remote port.
// Run from a clone after `npm ci`:  node examples/netconn-ports.mjs [archive folder or file]
import { readEvents, swapPort } from "cbexport";

const source = process.argv[2] ?? new URL("./archive", import.meta.url).pathname;
const perPort = new Map();
let damaged = 0;

for await (const { event, damage } of readEvents(source)) {
  if (damage) {
    damaged++;
    continue;
  }
  let port;
  if (event.kind === "netconn") port = swapPort(event.payload.remotePort ?? event.payload.port ?? 0);
  else if (event.kind === "netconnv2") port = swapPort(event.payload.remotePort ?? 0);
  else continue;
  perPort.set(port, (perPort.get(port) ?? 0) + 1);
}

for (const [port, count] of [...perPort].sort((a, b) => b[1] - a[1])) console.log(`${port}\t${count}`);
console.error(`${perPort.size} remote port(s), ${damaged} damaged record(s)`);
