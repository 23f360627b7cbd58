import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { SensorEvent } from "../../src/decode/event.js";
import { toSensorEvent } from "../../src/decode/event.js";
import type { CbEventMsg } from "../../src/schema/generated.js";
import { DocumentView } from "../../src/transforms/document-view.js";
import { EventFilter, FilterError } from "../../src/transforms/filter.js";

function event(msg: Partial<CbEventMsg>, sensorId = 7): SensorEvent {
  const full = {
    header: { timestamp: 130050000000000000n, process_pid: 4, process_create_time: 1n },
    strings: [],
    ...msg,
  } as CbEventMsg;
  return toSensorEvent(full, { sensorId, sensorIdSource: "folder" });
}

const filemod = (action: number, sensor = 7) => event({ filemod: { action } }, sensor);
const regmod = (action: number) => event({ regmod: { action, utf8_regpath: "\\registry\\machine\\x" } });
const netconn = (port: number) =>
  event({
    network: {
      ipv4Address: 0x0100007f,
      port: ((port & 0xff) << 8) | (port >> 8),
      protocol: 6,
      outbound: true,
    },
  });
const view = new DocumentView({ serverName: "s", serverUrl: undefined });

describe("filters", () => {
  it("no filter, or an empty one, costs nothing: compile gives undefined", () => {
    assert.equal(EventFilter.compile(undefined, view), undefined);
    assert.equal(EventFilter.compile({}, view), undefined);
  });

  it("kinds by forwarder name and by short name; exclude_kinds", () => {
    const f = EventFilter.compile({ kinds: ["ingress.event.filemod", "netconn"] }, view);
    assert.ok(f);
    assert.equal(f.accepts(filemod(1)), true);
    assert.equal(f.accepts(netconn(443)), true);
    assert.equal(f.accepts(regmod(2)), false);
    assert.equal(f.acceptsNotification("watchlist.hit.process"), false);
    const g = EventFilter.compile({ exclude_kinds: ["regmod"] }, view);
    assert.equal(g?.accepts(regmod(2)), false);
    assert.equal(g?.accepts(filemod(1)), true);
    assert.equal(g?.acceptsNotification("feed.ingress.hit.process"), true);
  });

  it("notification routing-key patterns", () => {
    const f = EventFilter.compile({ kinds: ["watchlist.#", "feed.*.hit.process"] }, view);
    assert.equal(f?.acceptsNotification("watchlist.hit.process"), true);
    assert.equal(f?.acceptsNotification("feed.ingress.hit.process"), true);
    assert.equal(f?.acceptsNotification("feed.ingress.hit.binary"), false);
    assert.equal(f?.accepts(filemod(1)), false);
    assert.equal(
      EventFilter.compile({ exclude_kinds: ["notifications"] }, view)?.acceptsNotification("alert.x"),
      false,
    );
  });

  it("sensor ids", () => {
    const f = EventFilter.compile({ sensor_ids: [7, 8], exclude_sensor_ids: [8] }, view);
    assert.equal(f?.accepts(filemod(1, 7)), true);
    assert.equal(f?.accepts(filemod(1, 8)), false);
    assert.equal(f?.accepts(filemod(1, 9)), false);
  });

  it("filemod and regmod actions (bits), other kinds pass", () => {
    const f = EventFilter.compile(
      { filemod_actions: ["create", "delete"], regmod_actions: ["writeval"] },
      view,
    );
    assert.equal(f?.accepts(filemod(1)), true);
    assert.equal(f?.accepts(filemod(2)), false);
    assert.equal(f?.accepts(filemod(4)), true);
    assert.equal(f?.accepts(filemod(3)), true, "create|write has the create bit");
    assert.equal(f?.accepts(regmod(2)), true);
    assert.equal(f?.accepts(regmod(4)), false);
    assert.equal(f?.accepts(netconn(80)), true);
  });

  it("field conditions on the forwarder document: equals, in, matches, exists, exclude_where", () => {
    const f = EventFilter.compile({ where: [{ field: "port", in: [22, 3389] }] }, view);
    assert.equal(f?.accepts(netconn(22)), true);
    assert.equal(f?.accepts(netconn(443)), false);
    assert.equal(f?.accepts(filemod(1)), false, "no port");
    const g = EventFilter.compile(
      { exclude_where: [{ field: "path", matches: "(?i)\\\\MACHINE\\\\" }] },
      view,
    );
    assert.equal(g?.accepts(regmod(2)), false);
    assert.equal(g?.accepts(netconn(22)), true);
    const h = EventFilter.compile(
      {
        where: [
          { field: "action", equals: "delval" },
          { field: "path", exists: true },
        ],
      },
      view,
    );
    assert.equal(h?.accepts(regmod(8)), true);
    assert.equal(h?.accepts(regmod(2)), false);
  });

  it("unknown kinds and bad expressions are errors with a path", () => {
    assert.throws(
      () => EventFilter.compile({ kinds: ["filemod", "nope"] }, view),
      (err: unknown) => err instanceof FilterError && err.path.join(".") === "kinds.1",
    );
    assert.throws(
      () => EventFilter.compile({ where: [{ field: "x", matches: "[" }] }, view),
      (err: unknown) => err instanceof FilterError && err.path.join(".") === "where.0.matches",
    );
  });
});
