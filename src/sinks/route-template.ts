// Templates for what a broker output derives from each event: Kafka topics and keys, AMQP routing keys, NATS
// subjects, e.g. "ingress.event.{kind}" or "cb.{sensor_id}". Placeholders:
//   {type}           the document's type: ingress.event.procstart, watchlist.hit.process, proc, ...
//   {kind}           the type without a leading "ingress.event." (procstart; notifications keep their type)
//   {sensor_id}      the sensor id
//   {computer_name}  the sensor's host name
// A value the line does not have (CSV and table lines have none) is "unknown". Values are made safe for
// subjects and routing keys: "." separates tokens there, so it is kept only in {type} and {kind}, whose dots
// are the bus's own hierarchy; other characters outside [A-Za-z0-9_-] become "_".
import type { EventFields } from "./event-fields.js";

export const PLACEHOLDERS = ["type", "kind", "sensor_id", "computer_name"] as const;
type Placeholder = (typeof PLACEHOLDERS)[number];

const RAW_PREFIX = "ingress.event.";

export class RouteTemplate {
  private constructor(
    /** Literal text and placeholders, alternating, starting with text. */
    private readonly parts: readonly string[],
    readonly text: string,
  ) {}

  /** Throws an Error naming the bad placeholder; the caller adds the output's name. */
  static parse(text: string): RouteTemplate {
    const parts: string[] = [];
    let at = 0;
    for (;;) {
      const open = text.indexOf("{", at);
      if (open < 0) break;
      const close = text.indexOf("}", open);
      if (close < 0) throw new Error(`"${text}" has a "{" without "}"`);
      const name = text.slice(open + 1, close);
      if (!(PLACEHOLDERS as readonly string[]).includes(name))
        throw new Error(`"${text}": unknown placeholder {${name}} (known: {${PLACEHOLDERS.join("}, {")}})`);
      parts.push(text.slice(at, open), name);
      at = close + 1;
    }
    parts.push(text.slice(at));
    return new RouteTemplate(parts, text);
  }

  /** True when the template has no placeholder (every event gets the same value). */
  get fixed(): boolean {
    return this.parts.length === 1;
  }

  render(fields: EventFields): string {
    if (this.parts.length === 1) return this.parts[0] as string;
    let out = "";
    for (let i = 0; i < this.parts.length; i++) {
      const part = this.parts[i] as string;
      out += i % 2 === 0 ? part : value(part as Placeholder, fields);
    }
    return out;
  }
}

function value(name: Placeholder, fields: EventFields): string {
  switch (name) {
    case "type":
      return token(fields.type, true);
    case "kind": {
      const type = fields.type;
      return token(type?.startsWith(RAW_PREFIX) ? type.slice(RAW_PREFIX.length) : type, true);
    }
    case "sensor_id":
      return token(fields.sensorId, false);
    case "computer_name":
      return token(fields.computerName, false);
  }
}

function token(text: string | undefined, dots: boolean): string {
  if (text === undefined || text === "") return "unknown";
  return text.replace(dots ? /[^A-Za-z0-9_.-]/g : /[^A-Za-z0-9_-]/g, "_");
}
