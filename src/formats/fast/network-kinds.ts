// Network connection documents, v1 and v2 (JSON-OUTPUT.md §3.5–3.6), keys in sorted order. LEEF documents of
// both carry the QRadar additions (LEEF.md §4) at their sorted places: `dst`, `dstPort` after `domain`; `proto`
// after `process_path`; `src`, `srcPort` after `sha256`.
import { BoolKey, type DocWriter } from "./doc-writer.js";
import { byEncoding } from "./encoding.js";
import { type IpAddrLayout, LOCAL_IP, NETCONN, NETCONN2, PROXY_IP, REMOTE_IP } from "./fields.js";
import type { Fragment } from "./json-bytes.js";

const KEYS = byEncoding((e) => ({
  domain: e.key("domain"),
  ipv4: e.key("ipv4"),
  ja3: e.key("ja3"),
  ja3s: e.key("ja3s"),
  localIp: e.key("local_ip"),
  localPort: e.key("local_port"),
  port: e.key("port"),
  protocol: e.key("protocol"),
  proxy: new BoolKey(e, "proxy"),
  proxyDomain: e.key("proxy_domain"),
  proxyIp: e.key("proxy_ip"),
  proxyPort: e.key("proxy_port"),
  remoteIp: e.key("remote_ip"),
  remotePort: e.key("remote_port"),
  // LEEF additions (unused in JSON).
  dst: e.key("dst"),
  dstPort: e.key("dstPort"),
  proto: e.key("proto"),
  src: e.key("src"),
  srcPort: e.key("srcPort"),
  outbound: e.keyValue("direction", "outbound"),
  inbound: e.keyValue("direction", "inbound"),
  eventType: e.keyValue("event_type", "netconn"),
  type: e.keyValue("type", "ingress.event.netconn"),
}));

/** Port in network byte order in the low 16 bits (§2.6). */
function swapPort(value: number): number {
  return ((value & 0xff) << 8) | ((value >>> 8) & 0xff);
}

/** An IPv4 address and port of netconn v1 under the given keys, when the address is present. */
function v1Endpoint(
  d: DocWriter,
  ipKey: Fragment,
  portKey: Fragment,
  ipSlot: number,
  portSlot: number,
): void {
  if (!d.has(ipSlot)) return;
  d.w.raw(ipKey);
  d.ipv4(ipSlot);
  d.w.raw(portKey);
  d.w.num(swapPort(d.u32(portSlot, 0)));
}

export function netconnDoc(d: DocWriter): void {
  const w = d.w;
  const K = KEYS[d.enc];
  const N = NETCONN.slot;
  const outbound = d.flag(N.outbound, true);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(outbound ? K.outbound : K.inbound);
  w.raw(K.domain);
  d.text(N.utf8_netpath);
  if (d.leef) {
    // Each side is there only when its address is.
    if (outbound) v1Endpoint(d, K.dst, K.dstPort, N.remoteIpAddress, N.remotePort);
    else v1Endpoint(d, K.dst, K.dstPort, N.localIpAddress, N.localPort);
  }
  w.raw(K.eventType);
  d.forkPidKey();
  w.raw(K.ipv4);
  d.ipv4(N.ipv4Address);
  d.linkKeys();
  v1Endpoint(d, K.localIp, K.localPort, N.localIpAddress, N.localPort);
  d.headerMd5Key();
  d.pidKey();
  w.raw(K.port);
  w.num(swapPort(d.u32(N.port, 0)));
  d.processGuidKey();
  d.processPathKey();
  const protocol = d.i32(N.protocol, 6);
  if (d.leef) {
    w.raw(K.proto);
    w.num(protocol);
  }
  w.raw(K.protocol);
  w.num(protocol);
  v1Endpoint(d, K.remoteIp, K.remotePort, N.remoteIpAddress, N.remotePort);
  d.sensorIdKey();
  d.headerSha256Key();
  if (d.leef) {
    if (outbound) v1Endpoint(d, K.src, K.srcPort, N.localIpAddress, N.localPort);
    else v1Endpoint(d, K.src, K.srcPort, N.remoteIpAddress, N.remotePort);
  }
  d.timestampKey();
  w.raw(K.type);
}

/** A CbIpAddr and port of netconn v2 under the given keys (always written). */
function v2Endpoint(
  d: DocWriter,
  ipKey: Fragment,
  portKey: Fragment,
  ip: IpAddrLayout,
  ipSlot: number,
  portSlot: number,
): void {
  d.w.raw(ipKey);
  d.ipAddr(ip, d.has(ipSlot));
  d.w.raw(portKey);
  d.w.num(swapPort(d.u32(portSlot, 0)));
}

export function netconnV2Doc(d: DocWriter): void {
  const w = d.w;
  const K = KEYS[d.enc];
  const N = NETCONN2.slot;
  const proxy = d.flag(N.proxyConnection, false);
  const outbound = d.flag(N.outbound, true);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(outbound ? K.outbound : K.inbound);
  w.raw(K.domain);
  d.text(N.utf8_netpath);
  if (d.leef) {
    if (outbound) v2Endpoint(d, K.dst, K.dstPort, REMOTE_IP, N.remoteIpAddress, N.remotePort);
    else v2Endpoint(d, K.dst, K.dstPort, LOCAL_IP, N.localIpAddress, N.localPort);
  }
  w.raw(K.eventType);
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
  v2Endpoint(d, K.localIp, K.localPort, LOCAL_IP, N.localIpAddress, N.localPort);
  d.headerMd5Key();
  d.pidKey();
  d.processGuidKey();
  d.processPathKey();
  const protocol = d.i32(N.protocol, 6);
  if (d.leef) {
    w.raw(K.proto);
    w.num(protocol);
  }
  w.raw(K.protocol);
  w.num(protocol);
  K.proxy.write(w, proxy);
  if (proxy) {
    w.raw(K.proxyDomain);
    d.text(N.proxyNetPath);
    v2Endpoint(d, K.proxyIp, K.proxyPort, PROXY_IP, N.proxyIpAddress, N.proxyPort);
  }
  v2Endpoint(d, K.remoteIp, K.remotePort, REMOTE_IP, N.remoteIpAddress, N.remotePort);
  d.sensorIdKey();
  d.headerSha256Key();
  if (d.leef) {
    if (outbound) v2Endpoint(d, K.src, K.srcPort, LOCAL_IP, N.localIpAddress, N.localPort);
    else v2Endpoint(d, K.src, K.srcPort, REMOTE_IP, N.remoteIpAddress, N.remotePort);
  }
  d.timestampKey();
  w.raw(K.type);
}
