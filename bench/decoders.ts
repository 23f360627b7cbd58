// Compares the generated decoder with protobufjs (the alternative named in the core issue) on real records.
// Run: npm run build && node dist/bench/decoders.js
import { readFileSync } from "node:fs";
import { join } from "node:path";
import protobuf from "protobufjs";
import { frameBuffer } from "../src/decode/framing.js";
import { decodeEventMessage } from "../src/schema/generated.js";

const root = process.cwd();
const bundle = readFileSync(join(root, "test", "fixtures", "corpus", "bus", "bundleone.bin"));
const payloads = frameBuffer(bundle).frames.map((f) => f.payload);
const proto = protobuf.loadSync(join(root, "src", "schema", "sensor_events.proto"));
const CbEventMsg = proto.lookupType("CbEventMsg");

function measure(name: string, decode: (b: Buffer) => unknown): void {
  const rounds = 400;
  for (let i = 0; i < 20; i++) for (const p of payloads) decode(p);
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) for (const p of payloads) decode(p);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  console.log(
    `${name.padEnd(36)} ${Math.round((rounds * payloads.length) / seconds).toLocaleString("en")} records/s`,
  );
}

measure("generated decoder (bigint, text)", decodeEventMessage);
measure("protobufjs decode (Long / number)", (b) => CbEventMsg.decode(b));
measure("protobufjs decode + toObject(BigInt)", (b) =>
  CbEventMsg.toObject(CbEventMsg.decode(b), { longs: String, bytes: Buffer }),
);
