// Structured logs on stderr for the service: one JSON object per line (pino), written synchronously so that
// nothing is lost when the process exits. Secrets never reach a message (outputs are named by their URL without
// its query, tokens are never logged); the redaction below is a second line of defence for logged objects.
import { destination, type Logger, pino } from "pino";

export type { Logger } from "pino";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace";

const SECRET_KEYS = ["token", "api_token", "password", "authorization", "secret", "headers.authorization"];

export function createLogger(level: LogLevel = "info", fd = 2): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`)], censor: "[redacted]" },
    },
    destination({ fd, sync: true }),
  );
}

/** Words that make a component's message a warning rather than news. */
const TROUBLE =
  /\b(fail|failed|failing|error|cannot|can't|lost|gave up|unreachable|retrying|damaged|dead letter|not available|refused|timed out|dropped)\b/i;

/**
 * The plain-text `log(line)` callbacks the loops and outputs take, as structured records of one component:
 * the "cbexport: " prefix dropped, the level chosen from the message.
 */
export function lineLog(logger: Logger, fields: Record<string, string>): (line: string) => void {
  const child = logger.child(fields);
  return (line: string) => {
    const msg = line.replace(/^cbexport( [a-z-]+)?: /, "");
    if (TROUBLE.test(msg)) child.warn(msg);
    else child.info(msg);
  };
}
