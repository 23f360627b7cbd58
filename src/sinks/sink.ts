// A sink delivers encoded output. `write` may return before the bytes are safe; `flush` resolves only once
// everything written so far is durably accepted (for a file: written and fsynced).

export interface Sink {
  /** Shown in errors and summaries (a path, "stdout", a URL without secrets). */
  readonly name: string;
  /** write() resolves only once the sink is done with the bytes, so the caller may reuse their memory. */
  readonly releasesWrittenData?: boolean;
  write(data: Buffer): Promise<void>;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** An output failed: the message names the sink. */
export class SinkError extends Error {
  override name = "SinkError";
  constructor(sink: string, cause: unknown) {
    super(`output ${sink}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
