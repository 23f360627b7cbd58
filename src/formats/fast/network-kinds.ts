// Network connection documents, v1 and v2 (JSON-OUTPUT.md §3.5–3.6), keys in sorted order. LEEF documents of
// both carry the QRadar additions (LEEF.md §4) at their sorted places: `dst`, `dstPort` after `domain`; `proto`
// after `process_path`; `src`, `srcPort` after `sha256`. They are written by helpers behind `d.leef`, so the
// JSON documents' code stays as it was (its size decides what V8 inlines).
import { BoolKey, type DocWriter } from "./doc-writer.js";
import { key, keyValue } from "./encoding.js";
import { type IpAddrLayout, LOCAL_IP, NETCONN, NETCONN2, PROXY_IP, REMOTE_IP } from "./fields.js";
import type { Fragment } from "./json-bytes.js";

const K = {
  domain: key("domain"),
  ipv4: key("ipv4"),
  ja3: key("ja3"),
  ja3s: key("ja3s"),
  localIp: key("local_ip"),
  localPort: key("local_port"),
  port: key("port"),
  protocol: key("protocol"),
  proxy: new BoolKey("proxy"),
  proxyDomain: key("proxy_domain"),
  proxyIp: key("proxy_ip"),
  proxyPort: key("proxy_port"),
  remoteIp: key("remote_ip"),
  remotePort: key("remote_port"),
  // LEEF additions.
  dst: key("dst"),
  dstPort: key("dstPort"),
  proto: key("proto"),
  src: key("src"),
  srcPort: key("srcPort"),
};
const V = {
  outbound: keyValue("direction", "outbound"),
  inbound: keyValue("direction", "inbound"),
  eventType: keyValue("event_type", "netconn"),
  type: keyValue("type", "ingress.event.netconn"),
};

/** Port in network byte order in the low 16 bits (§2.6). */
function swapPort(value: number): number {
  return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
}

export function netconnDoc(d: DocWriter): void {
  const w = d.w;
  const N = NETCONN.slot;
  const remote = d.has(N.remoteIpAddress);
  const outbound = d.flag(N.outbound, true);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(outbound ? V.outbound : V.inbound);
  w.raw(K.domain);
  d.text(N.utf8_netpath);
  if (d.leef) v1Addition(d, K.dst, K.dstPort, outbound);
  w.raw(V.eventType);
  d.forkPidKey();
  w.raw(K.ipv4);
  d.ipv4(N.ipv4Address);
  d.linkKeys();
  if (d.has(N.localIpAddress)) {
    w.raw(K.localIp);
    d.ipv4(N.localIpAddress);
    w.raw(K.localPort);
    w.num(swapPort(d.u32(N.localPort, 0)));
  }
  d.headerMd5Key();
  d.pidKey();
  w.raw(K.port);
  w.num(swapPort(d.u32(N.port, 0)));
  d.processGuidKey();
  d.processPathKey();
  if (d.leef) protoKey(d, N.protocol);
  w.raw(K.protocol);
  w.num(d.i32(N.protocol, 6));
  if (remote) {
    w.raw(K.remoteIp);
    d.ipv4(N.remoteIpAddress);
    w.raw(K.remotePort);
    w.num(swapPort(d.u32(N.remotePort, 0)));
  }
  d.sensorIdKey();
  d.headerSha256Key();
  if (d.leef) v1Addition(d, K.src, K.srcPort, !outbound);
  d.timestampKey();
  w.raw(V.type);
}

export function netconnV2Doc(d: DocWriter): void {
  const w = d.w;
  const N = NETCONN2.slot;
  const proxy = d.flag(N.proxyConnection, false);
  const outbound = d.flag(N.outbound, true);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(outbound ? V.outbound : V.inbound);
  w.raw(K.domain);
  d.text(N.utf8_netpath);
  if (d.leef) v2Addition(d, K.dst, K.dstPort, outbound);
  w.raw(V.eventType);
  d.forkPidKey();
  if (d.has(N.ja3)) {
    w.raw(K.ja3);
    d.text(N.ja3);
  }
  if (d.has(N.ja3s)) {
    w.raw(K.ja3s);
    d.text(N.ja3s);
  }
  d.linkKeys();
  w.raw(K.localIp);
  d.ipAddr(LOCAL_IP, d.has(N.localIpAddress));
  w.raw(K.localPort);
  w.num(swapPort(d.u32(N.localPort, 0)));
  d.headerMd5Key();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  if (d.leef) protoKey(d, N.protocol);
  w.raw(K.protocol);
  w.num(d.i32(N.protocol, 6));
  K.proxy.write(w, proxy);
  if (proxy) {
    w.raw(K.proxyDomain);
    d.text(N.proxyNetPath);
    w.raw(K.proxyIp);
    d.ipAddr(PROXY_IP, d.has(N.proxyIpAddress));
    w.raw(K.proxyPort);
    w.num(swapPort(d.u32(N.proxyPort, 0)));
  }
  w.raw(K.remoteIp);
  d.ipAddr(REMOTE_IP, d.has(N.remoteIpAddress));
  w.raw(K.remotePort);
  w.num(swapPort(d.u32(N.remotePort, 0)));
  d.sensorIdKey();
  d.headerSha256Key();
  if (d.leef) v2Addition(d, K.src, K.srcPort, !outbound);
  d.timestampKey();
  w.raw(V.type);
}

/** LEEF `proto`: a copy of `protocol`. */
function protoKey(d: DocWriter, slot: number): void {
  d.w.raw(K.proto);
  d.w.num(d.i32(slot, 6));
}

/**
 * A LEEF addition of netconn v1 (`dst`/`dstPort` or `src`/`srcPort`): a copy of the remote side (`remote`) or
 * the local one, when its address is present.
 */
function v1Addition(d: DocWriter, ipKey: Fragment, portKey: Fragment, remote: boolean): void {
  const N = NETCONN.slot;
  const ipSlot = remote ? N.remoteIpAddress : N.localIpAddress;
  if (!d.has(ipSlot)) return;
  d.w.raw(ipKey);
  d.ipv4(ipSlot);
  d.w.raw(portKey);
  d.w.num(swapPort(d.u32(remote ? N.remotePort : N.localPort, 0)));
}

/** The same for netconn v2, whose documents always have both sides. */
function v2Addition(d: DocWriter, ipKey: Fragment, portKey: Fragment, remote: boolean): void {
  const N = NETCONN2.slot;
  const ip: IpAddrLayout = remote ? REMOTE_IP : LOCAL_IP;
  d.w.raw(ipKey);
  d.ipAddr(ip, d.has(remote ? N.remoteIpAddress : N.localIpAddress));
  d.w.raw(portKey);
  d.w.num(swapPort(d.u32(remote ? N.remotePort : N.localPort, 0)));
}
