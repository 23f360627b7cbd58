// The consumer's side of the broker: the server's exchanges are only checked (passive declare, never
// redeclared with other attributes, BUS.md §3), the named queue is declared durable so it keeps messages
// while no consumer runs, and its bindings are made to match the selection.
import type { Channel, ChannelModel } from "amqplib";
import { RAW_EVENT_NAMES } from "../../formats/forwarder.js";
import { type Binding, DEFAULT_NOTIFICATION_PATTERNS, type Selection } from "./selection.js";

/** A failed setup step; `permanent` when retrying cannot help (credentials, vhost, missing exchange, ...). */
export class BusSetupError extends Error {
  override name = "BusSetupError";
  readonly permanent: boolean;

  constructor(step: string, cause: unknown) {
    const message = cause instanceof Error ? cause.message : String(cause);
    const hint = /Expected ConnectionOpenOk/.test(message) ? " (unknown vhost, or no permission on it?)" : "";
    super(`${step}: ${message}${hint}`, { cause });
    const code = (cause as { code?: unknown }).code;
    this.permanent =
      (typeof code === "number" && [403, 404, 405, 406, 530].includes(code)) ||
      /ACCESS.REFUSED|NOT.ALLOWED|Expected ConnectionOpenOk/.test(message);
  }
}

/** Runs one step; failures carry the step's name. */
export async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
  try {
    return await action();
  } catch (err) {
    throw new BusSetupError(name, err);
  }
}

export async function setUpQueue(channel: Channel, queue: string, selection: Selection): Promise<void> {
  for (const exchange of selection.exchanges) {
    await step(`exchange "${exchange}" is not there (is this the CB server's bus?)`, () =>
      channel.checkExchange(exchange),
    );
  }
  // Durable and not auto-delete: messages published while cbexport is down or restarting are kept.
  await step(`declaring queue "${queue}"`, () =>
    channel.assertQueue(queue, { durable: true, autoDelete: false, exclusive: false }),
  );
  for (const b of selection.bindings) {
    await step(`binding queue "${queue}" to "${b.exchange}" with "${b.pattern}"`, () =>
      channel.bindQueue(queue, b.exchange, b.pattern),
    );
  }
}

/**
 * A durable queue keeps the bindings of earlier runs: one made for another selection would bring raw events
 * twice or unselected ones. Removes the standard bindings cbexport can make that the selection does not use
 * (custom --bind patterns of earlier runs cannot be known; docs/bus.md says how to start afresh). Each
 * exchange gets its own short-lived channel, as a missing exchange closes the channel that names it.
 */
export async function removeStaleBindings(
  model: ChannelModel,
  queue: string,
  selection: Selection,
): Promise<void> {
  const wanted = new Set(selection.bindings.map(key));
  const stale = standardBindings(selection).filter((b) => !wanted.has(key(b)));
  for (const exchange of new Set(stale.map((b) => b.exchange))) {
    const channel = await step("opening a channel", () => model.createChannel());
    channel.on("error", () => {}); // a missing exchange: nothing to unbind there
    try {
      await channel.checkExchange(exchange);
      for (const b of stale.filter((s) => s.exchange === exchange)) {
        // Unbinding what is not bound is a no-op on RabbitMQ.
        await channel.unbindQueue(queue, b.exchange, b.pattern);
      }
      await channel.close();
    } catch {
      // The exchange does not exist (its channel is closed by the broker): no bindings to it either.
    }
  }
}

function standardBindings(selection: Selection): Binding[] {
  const events = selection.eventsExchange;
  return [
    { exchange: selection.rawExchange, pattern: "" },
    { exchange: events, pattern: "ingress.event.#" },
    ...RAW_EVENT_NAMES.map((pattern) => ({ exchange: events, pattern })),
    ...DEFAULT_NOTIFICATION_PATTERNS.map((pattern) => ({ exchange: events, pattern })),
  ];
}

function key(b: Binding): string {
  return `${b.exchange}\u0000${b.pattern}`;
}
