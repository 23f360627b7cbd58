// UDP as a delivery transport: one record per datagram, best effort. A datagram handed to the kernel counts as
// sent; nothing tells whether it arrived. Too-large records are held back by the DeliverySink (maxRecordBytes).
import { createSocket, type Socket } from "node:dgram";
import { lookup } from "node:dns/promises";
import { DeliveryError, type Transport } from "./delivery/transport.js";

/** The largest UDP payload over IPv4 (65535 minus the IP and UDP headers). */
export const MAX_DATAGRAM = 65507;

export class UdpTransport implements Transport {
  private socket: Socket | undefined;
  private address: string | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async send(records: readonly Buffer[]): Promise<void> {
    const socket = this.socket ?? (await this.open());
    socket.ref();
    try {
      for (const record of records) await this.datagram(socket, record);
    } finally {
      socket.unref();
    }
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async open(): Promise<Socket> {
    let family: number;
    try {
      // Resolved once, not per datagram.
      const found = await lookup(this.host);
      this.address = found.address;
      family = found.family;
    } catch (err) {
      throw new DeliveryError(`cannot resolve ${this.host}: ${(err as Error).message}`, true, { cause: err });
    }
    const socket = createSocket(family === 6 ? "udp6" : "udp4");
    // Errors surface through send callbacks; this only keeps a stray one from crashing the process.
    socket.on("error", () => undefined);
    this.socket = socket;
    return socket;
  }

  private datagram(socket: Socket, record: Buffer): Promise<void> {
    return new Promise((resolve, reject) => {
      socket.send(record, this.port, this.address, (err) => {
        if (err) reject(new DeliveryError(`send to ${this.host}:${this.port} failed: ${err.message}`, true));
        else resolve();
      });
    });
  }
}
