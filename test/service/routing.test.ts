import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseConfig } from "../../src/service/config/load.js";
import { resolveSettings } from "../../src/service/config/settings.js";
import { buildRouting } from "../../src/service/routing.js";
import type { Sink } from "../../src/sinks/index.js";
import { DocumentView } from "../../src/transforms/document-view.js";
import { HostEnricher } from "../../src/transforms/enrich/host-enricher.js";

/** A sink that takes nothing anywhere: routing only needs one per output name. */
function nullSink(name: string): Sink {
  return { name, write: async () => undefined, flush: async () => undefined, close: async () => undefined };
}

/** The routing of a configuration's outputs (YAML under `outputs:`), optionally with host enrichment. */
function routingOf(outputs: string, enrich = false) {
  const text = `sources:\n  archive: { type: follow, path: /var/cb/archive }\noutputs:\n${outputs}state: /tmp/s\n`;
  const settings = resolveSettings(parseConfig("c.yaml", text));
  const sinks = new Map(settings.outputs.map((o) => [o.name, nullSink(o.name)]));
  const enricher = enrich
    ? new HostEnricher({
        lookup: async () => ({}),
        ttlMs: 60_000,
        failureTtlMs: 1_000,
        waitMs: 100,
        concurrency: 1,
        log: () => undefined,
      })
    : undefined;
  return buildRouting(
    settings.outputs,
    sinks,
    settings.formatter,
    new DocumentView(settings.formatter),
    enricher,
  );
}

describe("routing: when records may skip decoding (Routing.direct)", () => {
  it("one output, or several taking the same events in the same form, of a format a direct writer covers", () => {
    for (const format of ["json", "leef", "csv"]) {
      const routing = routingOf(`  a: { type: file, path: /tmp/a, format: ${format} }\n`);
      assert.equal(routing.direct?.format, format, format);
      assert.equal(routing.direct, routing.formatter.options);
    }
    const shared = routingOf("  a: { type: file, path: /tmp/a }\n  b: { type: file, path: /tmp/b }\n");
    assert.equal(shared.routes.length, 1);
    assert.notEqual(shared.direct, undefined);
  });

  it("not when events are filtered, routed to different forms, enriched or given added keys", () => {
    const cases = {
      filter: routingOf(
        "  a: { type: file, path: /tmp/a, format: leef, filter: { kinds: [ingress.event.netconn] } }\n",
      ),
      "two forms": routingOf(
        "  a: { type: file, path: /tmp/a }\n  b: { type: file, path: /tmp/b, format: leef }\n",
      ),
      enrichment: routingOf("  a: { type: file, path: /tmp/a }\n", true),
      "added keys": routingOf(
        "  a: { type: file, path: /tmp/a, format: leef, add_to_output: { site: lab } }\n",
      ),
      "no direct writer": routingOf("  a: { type: file, path: /tmp/a, remove_from_output: [md5] }\n"),
    };
    // LEEF and CSV: their direct writers are not the JSON one a formatter's `fast` returns.
    for (const [name, routing] of Object.entries(cases)) {
      assert.equal(routing.direct, undefined, name);
      // What the loops use must not offer a direct writer either: it would bypass filters and added keys.
      if (name !== "no direct writer") assert.equal(routing.formatter.recordWriter, undefined, name);
    }
  });
});
