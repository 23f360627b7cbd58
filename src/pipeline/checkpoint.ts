// Follow-mode state: how far each archive file was exported and how long each output file was at that moment
// (Filebeat's registry idea). Written atomically, and only after every output durably accepted the records.
import { open, readFile, rename } from "node:fs/promises";
import { join } from "node:path";

export const STATE_VERSION = 1;

export interface FileCheckpoint {
  /** Identity of the file (a new file under the same name starts again from 0). */
  dev: number;
  ino: number;
  /** Bytes exported: offset just past the last complete record written. */
  offset: number;
  /** Damage ended the reading of this file: it is not read further. */
  stopped: boolean;
  /** Whole file exported (settled, read to its end): it may be deleted by --remove or retention. */
  done: boolean;
  /** The file had damaged records (kept by --remove unless --remove-damaged). */
  damaged: boolean;
}

export interface OutputCheckpoint {
  /** Identity of the output file at the checkpoint; a different file at the path was created after it. */
  ino: number;
  /** Its length at the checkpoint: bytes beyond it were written after and are cut on restart. */
  length: number;
}

export interface FollowState {
  version: number;
  files: Record<string, FileCheckpoint>;
  outputs: Record<string, OutputCheckpoint>;
}

export function emptyState(): FollowState {
  return { version: STATE_VERSION, files: {}, outputs: {} };
}

export class CheckpointStore {
  readonly path: string;

  constructor(readonly dir: string) {
    this.path = join(dir, "state.json");
  }

  /** The saved state; an empty one when there is none. Refuses a state it does not understand. */
  async load(): Promise<FollowState> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw err;
    }
    let state: FollowState;
    try {
      state = JSON.parse(text) as FollowState;
    } catch (err) {
      throw new Error(
        `${this.path} is not valid JSON (${(err as Error).message}); move it away to start over`,
      );
    }
    if (
      state.version !== STATE_VERSION ||
      typeof state.files !== "object" ||
      typeof state.outputs !== "object"
    ) {
      throw new Error(
        `${this.path} has state version ${state.version}; this cbexport writes ${STATE_VERSION}`,
      );
    }
    for (const cp of Object.values(state.files)) {
      cp.stopped ??= false;
      cp.done ??= false;
      cp.damaged ??= false;
    }
    return state;
  }

  /** Replaces the state atomically: temp file, fsync, rename, fsync of the folder. */
  async save(state: FollowState): Promise<void> {
    const tmp = `${this.path}.tmp`;
    const handle = await open(tmp, "w");
    try {
      await handle.writeFile(JSON.stringify(state));
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, this.path);
    const dir = await open(this.dir, "r");
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
}
