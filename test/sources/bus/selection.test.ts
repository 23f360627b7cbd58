import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_NOTIFICATION_PATTERNS, planSelection } from "../../../src/sources/bus/selection.js";
import { topicMatches } from "../../../src/sources/bus/topic.js";

describe("topic patterns", () => {
  it("match like a RabbitMQ topic exchange", () => {
    assert.ok(topicMatches("#", "a.b.c"));
    assert.ok(topicMatches("#", ""));
    assert.ok(topicMatches("feed.#", "feed"));
    assert.ok(topicMatches("feed.#", "feed.24.ingress.hit.process"));
    assert.ok(topicMatches("feed.*.ingress.hit.process", "feed.24.ingress.hit.process"));
    assert.ok(!topicMatches("feed.*.ingress.hit.process", "feed.ingress.hit.process"));
    assert.ok(topicMatches("*.event.#", "ingress.event.netconn"));
    assert.ok(topicMatches("#.netconn", "ingress.event.netconn"));
    assert.ok(!topicMatches("ingress.event.*", "ingress.event"));
    assert.ok(!topicMatches("watchlist.#", "alert.watchlist.hit.query.process"));
  });
});

describe("bus selection", () => {
  it("by default takes bundles from api.rawsensordata and notifications with the forwarder's patterns", () => {
    const s = planSelection({});
    assert.equal(s.raw, true);
    assert.equal(s.notifications, true);
    assert.equal(s.rawEventNames, undefined);
    assert.deepEqual(s.bindings, [
      { exchange: "api.rawsensordata", pattern: "" },
      ...DEFAULT_NOTIFICATION_PATTERNS.map((pattern) => ({ exchange: "api.events", pattern })),
    ]);
    assert.deepEqual(s.exchanges, ["api.rawsensordata", "api.events"]);
  });

  it("binds the ingress.event keys of the selected kinds (related keys together) for single events", () => {
    const s = planSelection({ rawSource: "events", events: "ingress.event.procend,ingress.event.netconn" });
    assert.equal(s.notifications, false);
    assert.equal(s.rawEventNames, "ingress.event.procend,ingress.event.netconn");
    assert.deepEqual(
      s.bindings.map((b) => b.pattern),
      ["ingress.event.process", "ingress.event.procstart", "ingress.event.procend", "ingress.event.netconn"],
    );
    assert.deepEqual(s.exchanges, ["api.events"]);
    assert.deepEqual(planSelection({ rawSource: "events", events: "raw" }).bindings, [
      { exchange: "api.events", pattern: "ingress.event.#" },
    ]);
  });

  it("takes notifications only, or replaces their patterns with --bind", () => {
    const s = planSelection({ events: "notifications", bind: ["feed.#", "feed.#", "alert.#"] });
    assert.equal(s.raw, false);
    assert.deepEqual(
      s.bindings.map((b) => `${b.exchange} ${b.pattern}`),
      ["api.events feed.#", "api.events alert.#"],
    );
  });

  it("refuses a --bind pattern that would also bring single raw events next to bundles (duplicates)", () => {
    for (const pattern of ["#", "ingress.#", "*.event.netconn", "#.procend"]) {
      assert.throws(() => planSelection({ bind: [pattern] }), /also routes single raw events/, pattern);
    }
    assert.doesNotThrow(() => planSelection({ rawSource: "events", bind: ["#"] }));
    assert.throws(
      () => planSelection({ events: "notifications", bind: ["#"] }),
      /also routes single raw events/,
    );
  });

  it("names what is wrong", () => {
    assert.throws(() => planSelection({ events: "procs" }), /unknown name "procs"/);
    assert.throws(() => planSelection({ events: " , " }), /--events is empty/);
    assert.throws(() => planSelection({ rawSource: "both" }), /--raw-source must be one of bundles, events/);
    assert.throws(() => planSelection({ events: "raw", bind: ["feed.#"] }), /does not select notifications/);
    assert.throws(() => planSelection({ eventsExchange: "x", rawExchange: "x" }), /different names/);
  });

  it("uses other exchange names when asked (a relay broker, or the tests)", () => {
    const s = planSelection({ eventsExchange: "e", rawExchange: "r", events: "all" });
    assert.deepEqual(s.exchanges, ["r", "e"]);
    assert.equal(s.eventsExchange, "e");
  });
});
