// Work a service does around each batch of events, given to the loops (follow, export, bus) as one optional
// hook: host enrichment before the events are formatted, and back-pressure from outputs fed by a router after.
// Both return undefined when there is nothing to wait for, so a run without them pays no promise per batch.
import type { SensorEvent } from "../decode/event.js";

export interface BatchStage {
  /** Before the batch's events are formatted; may wait, for a short bounded time only. */
  before?(events: readonly SensorEvent[]): Promise<void> | undefined;
  /** After the batch's events were handed to the writer: resolves when the outputs have room again. */
  after?(): Promise<void> | undefined;
}
