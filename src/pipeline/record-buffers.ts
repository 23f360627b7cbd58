// The memory runs of records are read into, kept for reuse by both pools (parallel.ts, inline-pool.ts): a buffer
// goes round from reading to formatting and back, so an export allocates only as many as it has runs in flight.

/** Size of the buffers runs are read into (pipeline/export.ts cuts runs of at most 512 KiB). */
const RECORDS_BYTES = 512 * 1024;
/** Buffers larger than this (grown for one very large record) are not kept. */
const MAX_KEPT_BYTES = 1 << 20;

export class RecordBuffers {
  private readonly spares: Buffer[] = [];

  /** `make`: new memory of a size (shared memory for worker threads). */
  constructor(private readonly make: (size: number) => Buffer) {}

  /** Memory for a run of at least `size` bytes: a buffer given back, or a new one. */
  readonly alloc = (size: number): Buffer => {
    const spare = this.spares.pop();
    if (spare !== undefined) {
      if (spare.length >= size) return spare;
      this.spares.push(spare);
    }
    // One size for all but very large records, so that every buffer given back fits the next run.
    return this.make(Math.max(size, RECORDS_BYTES));
  };

  /** Gives back the whole memory of a formatted run (small buffers of small files and grown ones are dropped). */
  giveBack(memory: Buffer): void {
    if (memory.length >= RECORDS_BYTES && memory.length <= MAX_KEPT_BYTES) this.spares.push(memory);
  }
}
