// A TCP or TLS connection as a delivery transport: connects on first use, writes each batch in one go, and
// reconnects after any error or a close by the peer. "Accepted" means the kernel took the bytes: plain TCP has
// no acknowledgement a sender can see, so what a peer that crashes loses from its socket buffer is not
// detectable (docs/outputs.md says so).
import { connect as netConnect, type Socket } from "node:net";
import { type ConnectionOptions, connect as tlsConnect } from "node:tls";
import { DeliveryError, type Transport } from "./delivery/transport.js";
import { isCertificateError } from "./tls.js";

export interface SocketTarget {
  host: string;
  port: number;
  /** TLS when set (see tlsConnectionOptions). */
  tls?: ConnectionOptions | undefined;
  /** Connecting, or writing one batch without progress, takes at most this long (default 30 s). */
  timeoutMs?: number | undefined;
}

export class SocketTransport implements Transport {
  private socket: Socket | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly target: SocketTarget) {
    this.timeoutMs = target.timeoutMs ?? 30_000;
  }

  async send(records: readonly Buffer[]): Promise<void> {
    const socket = this.socket ?? (await this.connect());
    socket.ref();
    try {
      await this.write(socket, records.length === 1 ? (records[0] as Buffer) : Buffer.concat(records));
    } catch (err) {
      this.drop(socket);
      throw err;
    } finally {
      // An idle connection must not keep a finished process alive (as Node's HTTP agent does it).
      socket.unref();
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined || socket.destroyed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => socket.destroy(), this.timeoutMs);
      socket.once("close", () => {
        clearTimeout(timer);
        resolve();
      });
      socket.end();
    });
  }

  private connect(): Promise<Socket> {
    const { host, port, tls } = this.target;
    return new Promise((resolve, reject) => {
      const socket = tls === undefined ? netConnect({ host, port }) : tlsConnect({ ...tls, host, port });
      const ready = tls === undefined ? "connect" : "secureConnect";
      const settle = () => {
        socket.off("error", fail);
        socket.off("timeout", timedOut);
        socket.off(ready, connected);
        socket.setTimeout(0);
      };
      const fail = (err: Error) => {
        settle();
        socket.destroy();
        reject(connectError(err, host, port));
      };
      const timedOut = () => fail(new Error(`no connection within ${this.timeoutMs} ms`));
      const connected = () => {
        settle();
        socket.setKeepAlive(true, 30_000);
        socket.setNoDelay(true);
        // Errors between writes only mean the next write reconnects.
        socket.on("error", () => this.drop(socket));
        socket.on("close", () => this.drop(socket));
        // Receivers send nothing we need; reading keeps a peer's close visible.
        socket.resume();
        this.socket = socket;
        resolve(socket);
      };
      socket.setTimeout(this.timeoutMs);
      socket.once("timeout", timedOut);
      socket.once("error", fail);
      socket.once(ready, connected);
    });
  }

  private write(socket: Socket, data: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      if (socket.destroyed || socket.writableEnded || socket.readableEnded) {
        reject(new DeliveryError("connection closed by the peer", true));
        return;
      }
      const settle = () => {
        socket.off("error", fail);
        socket.off("timeout", stalled);
        socket.setTimeout(0);
      };
      const fail = (err: Error) => {
        settle();
        reject(new DeliveryError(`write failed: ${err.message}`, true, { cause: err }));
      };
      // A peer that takes nothing for this long is treated like a lost connection.
      const stalled = () => fail(new Error(`no progress for ${this.timeoutMs} ms`));
      socket.once("error", fail);
      socket.setTimeout(this.timeoutMs);
      socket.once("timeout", stalled);
      socket.write(data, (err) => {
        if (err) return fail(err);
        settle();
        resolve();
      });
    });
  }

  private drop(socket: Socket): void {
    if (this.socket === socket) this.socket = undefined;
    socket.destroy();
  }
}

function connectError(err: Error, host: string, port: number): DeliveryError {
  const where = `${host}:${port}`;
  if (isCertificateError(err))
    return new DeliveryError(`TLS with ${where} refused: ${err.message}`, false, { cause: err });
  return new DeliveryError(`cannot connect to ${where}: ${err.message}`, true, { cause: err });
}
