// A batch of deliveries made durable: every message exported (or dead-lettered with its reasons), then every
// output flushed. Only after this resolves may the consumer acknowledge the batch.
import type { LineWriter } from "../../pipeline/line-writer.js";
import type { DeadLetterBox } from "./dead-letter.js";
import type { Delivery, MessageExporter } from "./message-export.js";

export interface BatchDelivery extends Delivery {
  redelivered: boolean;
  /** AMQP properties as decoded by the client, kept for the dead-letter record. */
  properties: object;
}

export interface BatchStats {
  messages: number;
  redelivered: number;
  deadLettered: number;
}

export class BatchWriter {
  readonly stats: BatchStats = { messages: 0, redelivered: 0, deadLettered: 0 };

  constructor(
    private readonly exporter: MessageExporter,
    private readonly writer: LineWriter,
    private readonly deadLetters: DeadLetterBox,
    private readonly queue: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Throws (SinkError, DeadLetterError) when an output fails: then nothing of the batch may be acked. */
  async write(batch: readonly BatchDelivery[]): Promise<void> {
    for (const delivery of batch) {
      this.stats.messages++;
      if (delivery.redelivered) this.stats.redelivered++;
      const outcome = await this.exporter.export(delivery);
      if (outcome.problems.length === 0) continue;
      const file = await this.deadLetters.add({
        body: delivery.body,
        exchange: delivery.exchange,
        routingKey: delivery.routingKey,
        properties: delivery.properties,
        redelivered: delivery.redelivered,
        queue: this.queue,
        reasons: outcome.problems,
        exportedEvents: outcome.events,
      });
      this.stats.deadLettered++;
      this.log(
        `cbexport bus: dead letter: message from ${delivery.exchange || '""'} with routing key ` +
          `"${delivery.routingKey}" (${delivery.body.length} bytes, ${outcome.events} event(s) still exported) ` +
          `saved as ${file}: ${outcome.problems[0]}` +
          (outcome.problems.length > 1 ? ` (+${outcome.problems.length - 1} more problem(s))` : ""),
      );
    }
    await this.writer.flush();
    await this.deadLetters.flush();
  }
}
