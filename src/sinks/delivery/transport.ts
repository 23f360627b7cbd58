// What a network output does with records once the delivery loop hands them over, and how it says whether a
// failure is worth another try.

export interface Transport {
  /**
   * Delivers the records (already framed for the destination), in order. Resolves once the destination has
   * accepted them (TCP: the kernel took the bytes; HTTP: a 2xx answer; HEC with acks: the ack). Throws a
   * DeliveryError; anything else thrown counts as retryable.
   */
  send(records: readonly Buffer[]): Promise<void>;
  /** Ends connections; pending sends fail. */
  close(): Promise<void>;
}

/** A failed delivery. `retryable` false means trying again cannot help (bad token, refused certificate). */
export class DeliveryError extends Error {
  override name = "DeliveryError";
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown; retryAfterMs?: number | undefined },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.retryAfterMs = options?.retryAfterMs;
  }
  readonly retryAfterMs: number | undefined;
}

export function deliveryError(err: unknown): DeliveryError {
  if (err instanceof DeliveryError) return err;
  return new DeliveryError(err instanceof Error ? err.message : String(err), true, { cause: err });
}
