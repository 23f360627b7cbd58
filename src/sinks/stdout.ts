// Standard output, with back-pressure: a write waits for 'drain' when the pipe is full.
import type { Writable } from "node:stream";
import { type Sink, SinkError } from "./sink.js";

export class StreamSink implements Sink {
  constructor(
    readonly name: string,
    private readonly stream: Writable,
  ) {}

  write(data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(new SinkError(this.name, err));
      this.stream.once("error", onError);
      const done = () => {
        this.stream.off("error", onError);
        resolve();
      };
      if (this.stream.write(data)) done();
      else this.stream.once("drain", done);
    });
  }

  /** Resolves once the stream has handed everything written so far to the OS. */
  flush(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.stream.write(Buffer.alloc(0), (err) => (err ? reject(new SinkError(this.name, err)) : resolve()));
    });
  }

  async close(): Promise<void> {
    await this.flush();
  }
}

export function stdoutSink(): Sink {
  return new StreamSink("stdout", process.stdout);
}
