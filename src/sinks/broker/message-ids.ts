// Message ids that are the same when the same events are exported again, so that JetStream's de-duplication
// (Nats-Msg-Id) drops what a restarted cbexport publishes a second time, and AMQP and Kafka consumers can do the
// same. A restart resumes exactly where the last checkpoint (bus acknowledgement, --remove) was taken, and each
// of those comes right after a flush of the outputs: so ids are numbered per flush window. An event's id is a
// hash chained over every line of its window up to and including it, seeded with this host's name:
//   - the same lines after the same flush get the same ids in any run;
//   - two identical lines get different ids (their prefixes differ), so distinct but byte-identical events
//     (the same registry write twice in a second) are never taken for duplicates;
//   - a window of another host, or a different window, gives different ids unless its whole prefix is identical.
import { createHash } from "node:crypto";
import { hostname } from "node:os";

export class MessageIds {
  private readonly seed: Buffer;
  private previous: Buffer;

  constructor(seed = hostname()) {
    this.seed = createHash("sha256").update(seed).digest();
    this.previous = this.seed;
  }

  /** The id of the next line: 24 characters of base64url (144 bits). */
  next(line: Buffer): string {
    const digest = createHash("sha256").update(this.previous).update(line).digest();
    this.previous = digest;
    return digest.toString("base64url", 0, 18);
  }

  /** A flush: the next line starts a new window. */
  restart(): void {
    this.previous = this.seed;
  }
}
