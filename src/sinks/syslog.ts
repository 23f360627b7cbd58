// Syslog messages around each event's text: RFC 5424 (default) or RFC 3164 headers, and for TCP/TLS the
// RFC 6587 framing (octet counting by default, or a line feed after each message).

export interface SyslogSettings {
  rfc: 5424 | 3164;
  /** 0–23 (default 16, local0). */
  facility: number;
  /** 0–7 (default 6, info). */
  severity: number;
  /** HOSTNAME field (default: this host's name). */
  hostname: string;
  /** APP-NAME (5424) / TAG (3164), default "cbexport". */
  appName: string;
  /** MSGID (5424), default "-". */
  msgid: string;
}

export type SyslogFraming = "octet" | "lf" | "none";

export const FACILITIES: Record<string, number> = {
  kern: 0,
  user: 1,
  mail: 2,
  daemon: 3,
  auth: 4,
  syslog: 5,
  lpr: 6,
  news: 7,
  uucp: 8,
  cron: 9,
  authpriv: 10,
  ftp: 11,
  ntp: 12,
  security: 13,
  console: 14,
  "solaris-cron": 15,
  local0: 16,
  local1: 17,
  local2: 18,
  local3: 19,
  local4: 20,
  local5: 21,
  local6: 22,
  local7: 23,
};

export const SEVERITIES: Record<string, number> = {
  emerg: 0,
  alert: 1,
  crit: 2,
  err: 3,
  warning: 4,
  notice: 5,
  info: 6,
  debug: 7,
};

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A header field: printable US-ASCII without spaces, at most `max` characters, "-" when empty (RFC 5424 §6). */
export function headerField(value: string, max: number): string {
  const clean = value.replace(/[^\x21-\x7e]/g, "_").slice(0, max);
  return clean === "" ? "-" : clean;
}

/**
 * The encoder of one output: event text → framed syslog message. The header is rebuilt only when the clock
 * moves on (one timestamp per millisecond), not per event.
 */
export function syslogEncoder(
  settings: SyslogSettings,
  framing: SyslogFraming,
  now: () => number = Date.now,
  pid: number = process.pid,
): (line: Buffer) => Buffer {
  const pri = `<${settings.facility * 8 + settings.severity}>`;
  const host = headerField(settings.hostname, 255);
  const app = headerField(settings.appName, settings.rfc === 5424 ? 48 : 32);
  const msgid = headerField(settings.msgid, 32);
  let stampedAt = Number.NaN;
  let header = Buffer.alloc(0);
  return (line) => {
    const t = now();
    if (t !== stampedAt) {
      stampedAt = t;
      header = Buffer.from(
        settings.rfc === 5424
          ? `${pri}1 ${new Date(t).toISOString()} ${host} ${app} ${pid} ${msgid} - `
          : `${pri}${rfc3164Time(new Date(t))} ${host} ${app}[${pid}]: `,
        "latin1",
      );
    }
    const length = header.length + line.length;
    if (framing === "octet") {
      const prefix = Buffer.from(`${length} `, "latin1");
      return Buffer.concat([prefix, header, line], prefix.length + length);
    }
    if (framing === "lf") return Buffer.concat([header, line, LF], length + 1);
    return Buffer.concat([header, line], length);
  };
}

const LF = Buffer.from("\n");

/** "Mmm dd hh:mm:ss" in local time, the day padded with a space (RFC 3164 §4.1.2). */
function rfc3164Time(d: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  const day = String(d.getDate()).padStart(2, " ");
  return `${MONTHS[d.getMonth()]} ${day} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}
