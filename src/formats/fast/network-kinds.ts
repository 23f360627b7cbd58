// Network connection documents, v1 and v2 (JSON-OUTPUT.md §3.5–3.6), keys in sorted order.
import { BoolKey, type DocWriter, key, keyValue } from "./doc-writer.js";
import { LOCAL_IP, NETCONN, NETCONN2, PROXY_IP, REMOTE_IP } from "./fields.js";

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
  d.cbServerKey();
  d.computerNameKey();
  w.raw(d.flag(N.outbound, true) ? V.outbound : V.inbound);
  w.raw(K.domain);
  d.text(N.utf8_netpath);
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
  d.timestampKey();
  w.raw(V.type);
}

export function netconnV2Doc(d: DocWriter): void {
  const w = d.w;
  const N = NETCONN2.slot;
  const proxy = d.flag(N.proxyConnection, false);
  d.cbServerKey();
  d.computerNameKey();
  w.raw(d.flag(N.outbound, true) ? V.outbound : V.inbound);
  w.raw(K.domain);
  d.text(N.utf8_netpath);
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
  d.timestampKey();
  w.raw(V.type);
}
