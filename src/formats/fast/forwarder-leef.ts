// The fast path for `--format leef --profile forwarder` (cb-event-forwarder 3.7 LEEF): lines written straight
// from raw records, byte-identical to forwarderDocument + leefLine and the pipeline's restoring of invalid bytes
// (the reference path, which the tests compare it with). Every exported kind is covered, the module's `digsig`
// object (JSON text) and byte lists (`icon=[]`, `image_file_header=[100 134 …]`) and float times included;
// only what the JSON writer defers too (records over 1 MiB, damaged records, payloads without a document) goes
// to the reference path.
import type { ForwarderOptions } from "../forwarder.js";
import { FastForwarderWriter } from "./forwarder-writer.js";
import { JsonBytes } from "./json-bytes.js";

export class FastForwarderLeef extends FastForwarderWriter {
  constructor(options: ForwarderOptions) {
    super(options, true, new JsonBytes(64));
  }
}
