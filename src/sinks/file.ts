// An output file, appended to. flush() fsyncs, so flushed data survives a crash.
import { type FileHandle, mkdir, open } from "node:fs/promises";
import { dirname } from "node:path";
import { type Sink, SinkError } from "./sink.js";

export class FileSink implements Sink {
  private constructor(
    readonly name: string,
    private readonly handle: FileHandle,
  ) {}

  static async open(path: string): Promise<FileSink> {
    try {
      await mkdir(dirname(path), { recursive: true });
      return new FileSink(path, await open(path, "a"));
    } catch (err) {
      throw new SinkError(path, err);
    }
  }

  async write(data: Buffer): Promise<void> {
    try {
      let done = 0;
      while (done < data.length) done += (await this.handle.write(data, done)).bytesWritten;
    } catch (err) {
      throw new SinkError(this.name, err);
    }
  }

  async flush(): Promise<void> {
    try {
      await this.handle.datasync();
    } catch (err) {
      throw new SinkError(this.name, err);
    }
  }

  async close(): Promise<void> {
    await this.flush();
    await this.handle.close();
  }
}
