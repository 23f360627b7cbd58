// Deterministic synthetic CB EDR archives (ARCHIVE.md §2–§3): one folder per sensor id, files named by server
// receive time, each a batch of length-prefixed CbEventMsg records without `env`, as a real server writes them.
// Everything comes from one seeded PRNG, so the same seed gives byte-identical files.
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { swapPort } from "../decode/values.js";
import { makeDirectory } from "../sinks/directory.js";
import { ProtoWriter } from "./protobuf-writer.js";

export interface GenerateOptions {
  /** Root folder of the archive (sensor folders are created inside). */
  out: string;
  /** Total number of records. */
  events: number;
  /** Number of sensors (default 4). */
  sensors?: number;
  /** PRNG seed, an unsigned 32-bit integer (default 1). */
  seed?: number;
  /** Called after each file is written. */
  onFile?: (path: string, records: number, bytes: number) => void;
}

export interface GenerateResult {
  files: number;
  events: number;
  bytes: number;
  sensorIds: number[];
}

// ---------------------------------------------------------------------------------------------------------------
// Randomness

/** mulberry32: tiny and fast; statistical quality is ample for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  uint32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }

  /** A random signed 64-bit value (legacy ids, per-event guids). */
  int64(): bigint {
    return BigInt.asIntN(64, (BigInt(this.uint32()) << 32n) | BigInt(this.uint32()));
  }

  bytes(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i += 4) {
      const v = this.uint32();
      for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
    }
    return out;
  }

  /** `n` lower-case hex digits. */
  hex(n: number): string {
    let s = "";
    while (s.length < n) s += this.uint32().toString(16).padStart(8, "0");
    return s.slice(0, n);
  }
}

/** 32-bit FNV-1a of a string's UTF-16 units, with a seed; used to derive stable values from names. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Strings-table key of a path: stable per sensor, like the sensor's own path hashing. */
function stringGuid(path: string, salt: number): bigint {
  return BigInt.asIntN(64, (BigInt(hash32(path, salt)) << 32n) | BigInt(hash32(path, ~salt)));
}

/** Hashes of a binary derived from its path, so one DLL has one MD5 on every sensor. */
function pathHashes(path: string): { md5: Buffer; sha256: Buffer } {
  const r = new Rng(hash32(path, 0x5eed));
  return { md5: r.bytes(16), sha256: r.bytes(32) };
}

// ---------------------------------------------------------------------------------------------------------------
// Time: FILETIME = 100 ns ticks since 1601 (SCHEMA.md §3)

const FILETIME_UNIX_OFFSET_MS = 11644473600000;
const DAY_MS = 86400000;

function filetime(ms: number, ticks: number): bigint {
  return BigInt(ms + FILETIME_UNIX_OFFSET_MS) * 10000n + BigInt(ticks);
}

/** `YYYY-MM-DD_HH-MM-SS-mmm.log` in UTC, as the server names archive files. */
export function archiveFileName(ms: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return (
    `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}_` +
    `${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}-${p(d.getUTCMilliseconds(), 3)}.log`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Catalogue: images, modules, files, registry keys, network peers ({U} = the user's profile folder)

interface ImageSpec {
  key: string;
  path: string;
  args: string;
  system: boolean;
  vendor: string;
  /** Images this one starts as children. */
  spawns: readonly string[];
}

const MS = "Microsoft Corporation";
const SYS32 = "C:\\Windows\\System32\\";
const OFFICE = "C:\\Program Files\\Microsoft Office\\root\\Office16\\";

// key, cased path, arguments, runs as SYSTEM, signer, children it starts (space-separated keys)
const IMAGE_ROWS: readonly (readonly [string, string, string, boolean, string, string])[] = [
  ["smss", `${SYS32}smss.exe`, "", true, MS, ""],
  [
    "csrss",
    `${SYS32}csrss.exe`,
    "ObjectDirectory=\\Windows SharedSection=1024,20480,768 Windows=On",
    true,
    MS,
    "",
  ],
  ["wininit", `${SYS32}wininit.exe`, "", true, MS, ""],
  ["services", `${SYS32}services.exe`, "", true, MS, "svchost svchost searchprotocolhost wmiprvse"],
  ["lsass", `${SYS32}lsass.exe`, "", true, MS, ""],
  ["svchost", `${SYS32}svchost.exe`, "-k netsvcs -p", true, MS, "taskhostw rundll32 wmiprvse"],
  [
    "msmpeng",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.24010.12-0\\MsMpEng.exe",
    "",
    true,
    MS,
    "",
  ],
  ["cb", "C:\\Windows\\CarbonBlack\\cb.exe", "", true, "Carbon Black, Inc.", ""],
  [
    "explorer",
    "C:\\Windows\\explorer.exe",
    "",
    false,
    MS,
    "chrome msedge outlook winword excel teams notepad cmd powershell code",
  ],
  [
    "chrome",
    "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
    "--type=renderer --lang=fr",
    false,
    "Google LLC",
    "chrome chrome setup",
  ],
  [
    "msedge",
    "C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe",
    "--single-argument https://intranet.example.com/",
    false,
    MS,
    "msedge",
  ],
  ["outlook", `${OFFICE}OUTLOOK.EXE`, "", false, MS, "winword excel"],
  ["winword", `${OFFICE}WINWORD.EXE`, '/n "C:\\Users\\{U}\\Documents\\ファイル.docx"', false, MS, "cmd"],
  ["excel", `${OFFICE}EXCEL.EXE`, '"C:\\Users\\{U}\\Documents\\budżet_2024.xlsx"', false, MS, ""],
  [
    "teams",
    "C:\\Users\\{U}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe",
    "--process-start-reason=autostart",
    false,
    MS,
    "teams",
  ],
  ["notepad", `${SYS32}notepad.exe`, '"C:\\Users\\{U}\\Desktop\\メモ.txt"', false, MS, ""],
  ["cmd", `${SYS32}cmd.exe`, '/c "ipconfig /all"', false, MS, "conhost ipconfig git"],
  [
    "powershell",
    `${SYS32}WindowsPowerShell\\v1.0\\powershell.exe`,
    "-NoProfile -File C:\\Users\\{U}\\scripts\\sauvegarde.ps1",
    false,
    MS,
    "conhost git ipconfig",
  ],
  ["conhost", `${SYS32}conhost.exe`, "0xffffffff -ForceV1", false, MS, ""],
  ["ipconfig", `${SYS32}ipconfig.exe`, "/all", false, MS, ""],
  ["git", "C:\\Program Files\\Git\\cmd\\git.exe", "fetch --all --prune", false, "Johannes Schindelin", ""],
  [
    "code",
    "C:\\Users\\{U}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe",
    '"C:\\Users\\{U}\\source\\プロジェクト"',
    false,
    MS,
    "powershell git",
  ],
  ["setup", "C:\\Users\\{U}\\Downloads\\セットアップ.exe", "/S", false, "", ""],
  [
    "searchprotocolhost",
    `${SYS32}SearchProtocolHost.exe`,
    "Global\\UsGthrFltPipeMssGthrPipe253_ 1 -2147483646",
    true,
    MS,
    "",
  ],
  ["wmiprvse", `${SYS32}wbem\\WmiPrvSE.exe`, "-secured -Embedding", true, MS, ""],
  ["taskhostw", `${SYS32}taskhostw.exe`, "", true, MS, ""],
  [
    "rundll32",
    `${SYS32}rundll32.exe`,
    `${SYS32}shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a}`,
    true,
    MS,
    "",
  ],
];

const IMAGES: readonly ImageSpec[] = IMAGE_ROWS.map(([key, path, args, system, vendor, spawns]) => ({
  key,
  path,
  args,
  system,
  vendor,
  spawns: spawns === "" ? [] : spawns.split(" "),
}));

/** Processes running on every endpoint before the archive starts: "image" or "parent>image". */
const BOOT_TREE = (
  "smss csrss wininit wininit>services wininit>lsass services>svchost services>svchost services>svchost " +
  "services>msmpeng services>cb explorer explorer>outlook explorer>chrome"
).split(" ");

const SYSTEM32_DLLS = (
  "ntdll kernel32 kernelbase user32 win32u gdi32 gdi32full advapi32 msvcrt sechost rpcrt4 combase ole32 " +
  "oleaut32 shell32 shlwapi ws2_32 crypt32 bcrypt bcryptprimitives ucrtbase msvcp_win imm32 uxtheme dwmapi " +
  "version winhttp wininet iphlpapi dnsapi nsi mswsock cryptbase profapi powrprof windows.storage wintypes " +
  "clbcatq propsys sspicli userenv wldp amsi dhcpcsvc6 dhcpcsvc netapi32 kernel.appcore cfgmgr32"
).split(" ");

const OTHER_DLLS = [
  "c:\\windows\\winsxs\\amd64_microsoft.windows.common-controls_6595b64144ccf1df_6.0.19041.3636_none\\comctl32.dll",
  "c:\\windows\\microsoft.net\\framework64\\v4.0.30319\\clr.dll",
  "c:\\program files\\google\\chrome\\application\\122.0.6261.129\\chrome.dll",
  "c:\\users\\{U}\\appdata\\local\\ファイル同期\\sync64.dll",
  "c:\\users\\{U}\\appdata\\local\\microsoft\\onedrive\\24.040.0225.0001\\filesyncclient.dll",
];

const DOCUMENTS = [
  "rapport annuel 2024.docx",
  "ファイル.xlsx",
  "übersicht q3.pdf",
  "budżet_2024.xlsx",
  "notes.txt",
  "présentation client.pptx",
  "ファイル一覧.csv",
  "contract-draft-v2.docx",
  "screenshot 2024-03-14 101522.png",
  "archive-2023.zip",
];

const PREFETCH = "chrome.exe cmd.exe ipconfig.exe git.exe conhost.exe teams.exe winword.exe".split(" ");

/** Paths a file modification can be about (lower case, as the sensor sends them). */
const FILE_PATHS: readonly ((u: string, r: Rng) => string)[] = [
  (u, r) => `c:\\users\\${u}\\appdata\\local\\temp\\~df${r.hex(4)}.tmp`,
  (u, r) => `c:\\users\\${u}\\documents\\${r.pick(DOCUMENTS)}`,
  (u, r) => `c:\\users\\${u}\\desktop\\${r.pick(DOCUMENTS)}`,
  (u, r) => `c:\\users\\${u}\\onedrive\\ファイル\\${r.pick(DOCUMENTS)}`,
  (u, r) =>
    `c:\\users\\${u}\\appdata\\local\\google\\chrome\\user data\\default\\cache\\cache_data\\f_${r.hex(6)}`,
  (u, r) =>
    `c:\\users\\${u}\\appdata\\local\\google\\chrome\\user data\\default\\cache\\cache_data\\f_${r.hex(6)}`,
  (u, r) => `c:\\users\\${u}\\appdata\\roaming\\microsoft\\windows\\recent\\${r.pick(DOCUMENTS)}.lnk`,
  (u, r) => `c:\\users\\${u}\\downloads\\unconfirmed ${100000 + r.int(900000)}.crdownload`,
  (_u, r) => `c:\\windows\\prefetch\\${r.pick(PREFETCH)}-${r.hex(8)}.pf`,
  (_u, r) => `c:\\windows\\temp\\${r.hex(8)}.log`,
  (_u, r) => `c:\\programdata\\microsoft\\windows defender\\scans\\mpcache-${r.hex(8)}.bin`,
];

/** CbFileType by extension, for last-write records. */
const FILE_TYPES: Readonly<Record<string, number>> = {
  docx: 17,
  xlsx: 17,
  pptx: 17,
  pdf: 48,
  zip: 64,
  lnk: 96,
  crdownload: 1,
  exe: 1,
  dll: 1,
};

function fileType(path: string): number {
  return FILE_TYPES[path.slice(path.lastIndexOf(".") + 1)] ?? 0;
}

const USERASSIST = "{cebff5cd-ace2-4f4f-9178-9926f41749ea}\\count";
const REG_PATHS: readonly ((sid: string, r: Rng) => string)[] = [
  (sid, r) =>
    `\\registry\\user\\${sid}\\software\\microsoft\\windows\\currentversion\\explorer\\recentdocs\\.docx\\${r.int(40)}`,
  (sid) => `\\registry\\user\\${sid}\\software\\microsoft\\windows\\currentversion\\run\\onedrive`,
  (sid, r) =>
    `\\registry\\user\\${sid}\\software\\microsoft\\windows\\currentversion\\explorer\\userassist\\${USERASSIST}\\${r.pick(["ファイル.lnk", "hfre_cebtenzf.yax"])}`,
  (sid, r) =>
    `\\registry\\user\\${sid}_classes\\local settings\\software\\microsoft\\windows\\shell\\bags\\${r.int(90)}\\shell\\mode`,
  (sid) =>
    `\\registry\\machine\\system\\controlset001\\services\\bam\\state\\usersettings\\${sid}\\\\device\\harddiskvolume3\\windows\\system32\\cmd.exe`,
  () =>
    "\\registry\\machine\\system\\controlset001\\services\\tcpip\\parameters\\interfaces\\{3f2a7c1e-9b4d-4e8a}\\dhcpipaddress",
  (_sid, r) =>
    `\\registry\\machine\\software\\microsoft\\windows defender\\signature updates\\${r.pick(["avsignatureversion", "assignatureapplied"])}`,
  (_sid, r) =>
    `\\registry\\machine\\software\\microsoft\\windows nt\\currentversion\\profilelist\\s-1-5-21-${r.int(9999)}\\state`,
];

interface Addr {
  v6: boolean;
  v4: number;
  high: bigint;
  low: bigint;
  scope?: string;
}

function addr(text: string, scope?: string): Addr {
  if (!text.includes(":")) {
    const [a, b, c, d] = text.split(".").map(Number) as [number, number, number, number];
    return { v6: false, v4: (a | (b << 8) | (c << 16) | (d << 24)) >>> 0, high: 0n, low: 0n };
  }
  const [head, tail] = text.split("::") as [string, string | undefined];
  const h = head === "" ? [] : head.split(":");
  const t = tail === undefined || tail === "" ? [] : tail.split(":");
  const groups =
    tail === undefined ? h : [...h, ...new Array<string>(8 - h.length - t.length).fill("0"), ...t];
  const bytes = Buffer.alloc(16);
  groups.forEach((g, i) => {
    bytes.writeUInt16BE(Number.parseInt(g, 16), i * 2);
  });
  // SCHEMA.md §3: bytes 0..7 are ipv6High read little-endian, bytes 8..15 ipv6Low.
  const a: Addr = { v6: true, v4: 0, high: bytes.readBigUInt64LE(0), low: bytes.readBigUInt64LE(8) };
  if (scope !== undefined) a.scope = scope;
  return a;
}

interface Peer {
  domain: string;
  v4: Addr;
  v6: Addr | undefined;
  port: number;
  udp: boolean;
  outbound: boolean;
}

// domain, IPv4, IPv6 ("" none; "%" separates a scope), port, protocol, direction
const PEER_ROWS: readonly (readonly [string, string, string, number, "tcp" | "udp", "out" | "in"])[] = [
  ["www.google.com", "142.250.185.196", "2a00:1450:4001:82f::2004", 443, "tcp", "out"],
  ["outlook.office365.com", "52.97.146.162", "2603:1026:c0b:10::2", 443, "tcp", "out"],
  ["login.microsoftonline.com", "20.190.159.4", "2603:1037:1:c8::8", 443, "tcp", "out"],
  ["teams.microsoft.com", "52.113.194.132", "2603:1063:40:3::1", 443, "tcp", "out"],
  ["update.googleapis.com", "142.250.74.99", "2a00:1450:4016:80a::2003", 443, "tcp", "out"],
  ["github.com", "140.82.121.4", "", 443, "tcp", "out"],
  ["ocsp.digicert.com", "93.184.220.29", "2606:2800:220:1:248:1893:25c8:1946", 80, "tcp", "out"],
  ["cbserver.corp.example.com", "10.20.30.40", "", 443, "tcp", "out"],
  ["", "10.0.0.53", "fe80::1%12", 53, "udp", "out"],
  ["time.windows.com", "168.61.215.74", "", 123, "udp", "out"],
  ["", "10.0.5.23", "fe80::5cd1:7a2b:93e0:1f4c%12", 3389, "tcp", "in"],
  ["fileserver.corp.example.com", "10.0.8.15", "2001:db8:10::15", 445, "tcp", "out"],
];

const PEERS: readonly Peer[] = PEER_ROWS.map(([domain, v4, v6, port, proto, dir]) => {
  const [v6Text, scope] = v6.split("%") as [string, string | undefined];
  return {
    domain,
    v4: addr(v4),
    v6: v6 === "" ? undefined : addr(v6Text, scope),
    port,
    udp: proto === "udp",
    outbound: dir === "out",
  };
});

/** EMET's own names of its mitigations, in CbEmetMitigationTypes order (1–18). */
const EMET_NAMES = (
  "DEP SEHOP ASR ASLR NullPage HeapSpray MandatoryASLR EAF EAF+ BottomUpASLR LoadLib MemProt SimExecFlow " +
  "StackPivot Caller BannedFunctions DeepHooks AntiDetours"
).split(" ");

const JA3 = [
  "cd08e31494f9531f560d64c695473da9",
  "b32309a26951912be7dba376398abc3b",
  "773906b0efdefa24a7f2b8eb6985bf37",
];
const JA3S = ["15af977ce25de452b96affa2addb1036", "ec74a5c51106f0419184d0dd08fb05bc"];

/** Interactive user of each endpoint, by sensor index (the first sensor always gets the non-ASCII "zoë"). */
const USERS = [
  { profile: "zoë", account: "zoë.martin" },
  { profile: "田中", account: "田中太郎" },
  { profile: "józef", account: "józef.kowalski" },
  { profile: "jdoe", account: "jdoe" },
  { profile: "müller", account: "müller" },
  { profile: "administrator", account: "administrator" },
] as const;

// ---------------------------------------------------------------------------------------------------------------
// Event mix (per mille): modload 40%, filemod 28%, regmod 14%, netconn 5%, childproc 4%, process 4%, crossproc 4%,
// and a few rare kinds.

const KINDS = [
  ["modload", 400],
  ["filemod", 280],
  ["regmod", 140],
  ["netconn", 50],
  ["childproc", 40],
  ["process", 40],
  ["crossopen", 30],
  ["remotethread", 10],
  ["module", 4],
  ["blocked", 2],
  ["emet", 2],
  ["tamper", 2],
] as const;

type Kind = (typeof KINDS)[number][0];

const KIND_TABLE: readonly Kind[] = KINDS.flatMap(([kind, weight]) => new Array<Kind>(weight).fill(kind));

// ---------------------------------------------------------------------------------------------------------------
// Sensor state

/** An image or module as this sensor sees it: lower-case path, its strings-table key, hashes. */
interface Binary {
  path: string;
  cased: string;
  guid: bigint;
  md5: Buffer;
  sha256: Buffer;
  vendor: string;
}

interface Image extends Binary {
  spec: ImageSpec;
}

interface Proc {
  pid: number;
  createTime: bigint;
  guid: bigint;
  image: Image;
  commandline: string;
  parent: Proc | undefined;
  /** Its start record has been written (processes running at boot get theirs lazily, before their first event). */
  started: boolean;
  observed: boolean;
  modloads: number;
  system: boolean;
}

interface ChildReport {
  parent: Proc;
  child: Proc;
  created: boolean;
}

/** Parent pid of the boot processes (the System process). */
const BOOT_PID = 4;
/** Processes started within the archive that stay alive at a time, on average (keeps memory flat). */
const TARGET_LIVE = 24;

class SensorSim {
  readonly id: number;
  private clock: number;
  private lastFileMs = 0;
  private readonly salt: number;
  private readonly sha256: boolean;
  private readonly profile: string;
  private readonly username: string;
  private readonly sid: string;
  private readonly images = new Map<string, Image>();
  private readonly modules: Binary[] = [];
  private readonly live: Proc[] = [];
  private readonly spawned: Proc[] = [];
  private readonly reports: ChildReport[] = [];
  private readonly pids = new Set<number>();
  private readonly localV4: Addr;
  private readonly localV6: Addr;
  private emetId = 1000;

  constructor(
    private readonly r: Rng,
    id: number,
    index: number,
    start: number,
  ) {
    this.id = id;
    this.clock = start + r.int(2 * DAY_MS);
    this.salt = r.uint32();
    this.sha256 = r.chance(0.7); // older sensors send no SHA-256
    const user = USERS[index % USERS.length] ?? USERS[0];
    this.profile = user.profile;
    this.username = `CORP\\${user.account}`;
    this.sid = `S-1-5-21-${1000000000 + r.int(2000000000)}-${1000000000 + r.int(2000000000)}-${r.int(999999999)}-${1001 + index}`;
    this.localV4 = addr(`10.0.${1 + r.int(250)}.${2 + r.int(250)}`);
    this.localV6 = addr(`2001:db8:10::${(0x100 + r.int(0xfe00)).toString(16)}`);
    for (const spec of IMAGES) {
      const b = this.binary(spec.path.replaceAll("{U}", this.profile), spec.vendor);
      this.images.set(spec.key, { ...b, spec });
    }
    for (const name of SYSTEM32_DLLS)
      this.modules.push(this.binary(`C:\\Windows\\System32\\${name}.dll`, MS));
    for (const path of OTHER_DLLS) {
      const vendor = path.includes("{U}") ? "" : MS; // what users install themselves is often unsigned
      this.modules.push(this.binary(path.replaceAll("{U}", this.profile), vendor));
    }
    this.boot();
  }

  private binary(cased: string, vendor: string): Binary {
    const path = cased.toLowerCase();
    return { path, cased, guid: stringGuid(path, this.salt), ...pathHashes(path), vendor };
  }

  private image(key: string): Image {
    const image = this.images.get(key);
    if (image === undefined) throw new Error(`no image ${key}`);
    return image;
  }

  /** Processes already running when the archive starts, created one to ten days earlier. */
  private boot(): void {
    let t = this.clock - DAY_MS - this.r.int(9 * DAY_MS);
    const byKey = new Map<string, Proc>();
    for (const entry of BOOT_TREE) {
      const [parentKey, key] = entry.includes(">") ? (entry.split(">") as [string, string]) : [null, entry];
      t += 500 + this.r.int(20000);
      const parent = parentKey === null ? undefined : byKey.get(parentKey);
      const proc = this.newProc(this.image(key), parent, filetime(t, this.r.int(10000)), false);
      byKey.set(key, proc);
      this.live.push(proc);
    }
  }

  private newPid(): number {
    let pid: number;
    do pid = 4 * (2 + this.r.int(16000));
    while (this.pids.has(pid));
    this.pids.add(pid);
    return pid;
  }

  private newProc(image: Image, parent: Proc | undefined, createTime: bigint, observed: boolean): Proc {
    const args = image.spec.args.replaceAll("{U}", this.profile);
    const exe = image.cased.includes(" ") ? `"${image.cased}"` : image.cased;
    return {
      pid: this.newPid(),
      createTime,
      guid: this.r.int64(),
      image,
      commandline: args === "" ? exe : `${exe} ${args}`,
      parent,
      started: false,
      observed,
      modloads: 0,
      system: image.spec.system,
    };
  }

  /** Next event time: the clock moves 0–400 ms per event. */
  private now(): bigint {
    this.clock += this.r.int(400);
    return filetime(this.clock, this.r.int(10000));
  }

  /** Name of the next file: server receive time, a few seconds after the last event, unique per sensor. */
  nextFileName(): string {
    const ms = Math.max(this.clock + 1000 + this.r.int(8000), this.lastFileMs + 1);
    this.lastFileMs = ms;
    this.clock = ms + this.r.int(60000);
    return archiveFileName(ms);
  }

  /** Writes one or more records (at most `limit`); returns how many. */
  step(w: ProtoWriter, limit: number): number {
    const kind = this.r.pick(KIND_TABLE);
    switch (kind) {
      case "process":
        return this.processStep(w);
      case "childproc":
        return this.childStep(w, limit);
      case "tamper":
        this.tamper(w);
        return 1;
      case "module":
        this.moduleInfo(w);
        return 1;
      case "blocked":
        this.blocked(w);
        return 1;
      default: {
        const actor = this.r.pick(this.live);
        let written = 0;
        if (!actor.started) {
          this.procStart(w, actor);
          if (++written >= limit) return written;
        }
        this.actorEvent(w, kind, actor);
        return written + 1;
      }
    }
  }

  private actorEvent(w: ProtoWriter, kind: Kind, actor: Proc): void {
    if (kind === "modload") this.modload(w, actor);
    else if (kind === "filemod") this.filemod(w, actor);
    else if (kind === "regmod") this.regmod(w, actor);
    else if (kind === "netconn") {
      // About a fifth of connections come from sensors that send the v2 message (IPv6 capable).
      if (this.r.chance(0.2)) this.netconnV2(w, actor);
      else this.netconnV1(w, actor);
    } else if (kind === "crossopen" || kind === "remotethread")
      this.crossproc(w, actor, kind === "crossopen");
    else if (kind === "emet") this.emet(w, actor);
    else throw new Error(`not an actor event: ${kind}`);
  }

  /** Start a child of a live process, or end a process this archive saw start. */
  private processStep(w: ProtoWriter): number {
    const end = this.spawned.length > 2 * TARGET_LIVE || (this.spawned.length > 0 && this.r.chance(0.5));
    if (end) {
      const proc = this.spawned.splice(this.r.int(this.spawned.length), 1)[0] as Proc;
      this.live.splice(this.live.indexOf(proc), 1);
      this.pids.delete(proc.pid);
      this.procEnd(w, proc);
      if (proc.parent !== undefined) this.report({ parent: proc.parent, child: proc, created: false });
      return 1;
    }
    const parents = this.live.filter((p) => p.image.spec.spawns.length > 0);
    const parent = this.r.pick(parents);
    const child = this.newProc(this.image(this.r.pick(parent.image.spec.spawns)), parent, this.now(), true);
    this.live.push(child);
    this.spawned.push(child);
    this.procStart(w, child);
    this.report({ parent, child, created: true });
    return 1;
  }

  private report(report: ChildReport): void {
    this.reports.push(report);
    if (this.reports.length > 200) this.reports.shift();
  }

  /** The parent's childproc record for a start or end seen earlier; else a suppressed (event-less) child. */
  private childStep(w: ProtoWriter, limit: number): number {
    let report = this.reports.shift();
    while (report !== undefined && !this.live.includes(report.parent)) report = this.reports.shift();
    const parent = report?.parent ?? this.r.pick(this.live);
    let written = 0;
    if (!parent.started) {
      this.procStart(w, parent);
      if (++written >= limit) {
        if (report !== undefined) this.reports.unshift(report); // still to be told, in the next file
        return written;
      }
    }
    if (report !== undefined) this.childproc(w, parent, report.child, report.created, false);
    else {
      const image = this.image(this.r.pick(["conhost", "rundll32", "ipconfig", "taskhostw"]));
      const child = this.newProc(image, parent, this.now(), true);
      this.pids.delete(child.pid);
      this.childproc(w, parent, child, true, true);
    }
    return written + 1;
  }

  // -------------------------------------------------------------------------------------------------------------
  // Records

  /** CbHeaderMsg of a process-context event; `filepath` names the path the event is about. */
  private header(
    w: ProtoWriter,
    ft: bigint,
    p: Proc | undefined,
    filepath?: bigint,
    isProcess = false,
  ): void {
    w.message(1, () => {
      w.int32(1, 4); // version: 4 in every real record
      w.int64(4, ft);
      if (p !== undefined) w.int64(5, p.guid);
      if (filepath !== undefined) w.int64(6, filepath);
      if (p === undefined) return;
      if (isProcess) w.int64(8, p.image.guid);
      w.int64(9, p.createTime);
      w.int32(10, p.pid);
      w.bytes(11, p.image.md5);
      w.string(12, p.image.path);
      if (this.sha256) w.bytes(14, p.image.sha256);
    });
  }

  /** One entry of the record's strings table (only file paths are still sent). */
  private str(w: ProtoWriter, guid: bigint, path: string): void {
    w.message(2, () => {
      w.int64(1, guid);
      w.string(2, path);
      w.uint32(3, 1);
    });
  }

  private procStart(w: ProtoWriter, p: Proc): void {
    p.started = true;
    const ft = p.observed ? p.createTime : this.now();
    const parent = p.parent;
    w.record(() => {
      this.header(w, ft, p, p.image.guid, true);
      this.str(w, p.image.guid, p.image.path);
      w.message(3, () => {
        w.int32(1, p.pid);
        w.bool(2, true);
        w.int32(3, parent?.pid ?? BOOT_PID);
        if (parent !== undefined) {
          w.int64(4, parent.createTime);
          w.int64(5, parent.guid);
        }
        w.bytes(6, p.image.md5);
        w.string(9, p.commandline);
        if (parent !== undefined) {
          w.bytes(10, parent.image.md5);
          w.string(11, parent.image.path);
        }
        w.bool(12, p.observed);
        w.string(14, p.system ? "S-1-5-18" : this.sid);
        w.string(15, p.system ? "SYSTEM" : this.username);
        if (this.sha256) {
          w.bytes(19, p.image.sha256);
          if (parent !== undefined) w.bytes(20, parent.image.sha256);
        }
      });
    });
  }

  private procEnd(w: ProtoWriter, p: Proc): void {
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, p, p.image.guid, true);
      this.str(w, p.image.guid, p.image.path);
      w.message(3, () => {
        w.int32(1, p.pid);
        w.bool(2, false);
        w.int32(3, p.parent?.pid ?? BOOT_PID);
        if (p.parent !== undefined) w.int64(5, p.parent.guid);
      });
    });
  }

  private modload(w: ProtoWriter, p: Proc): void {
    // A process loads its own image first, then DLLs.
    const base = p.modloads++ === 0;
    const mod: Binary = base ? p.image : this.r.pick(this.modules);
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, p, mod.guid);
      this.str(w, mod.guid, mod.path);
      w.message(4, () => {
        w.int64(1, this.r.int64());
        w.int64(2, mod.guid);
        w.bytes(3, mod.md5);
        w.int32(4, 1 + this.r.int(4000));
        w.bool(5, base);
        w.int64(6, BigInt(0x7ff8 * 0x10000 + this.r.int(0xffff)) * 0x10000n);
        w.uint32(7, 0x1000 * (16 + this.r.int(4000)));
        if (this.sha256) w.bytes(8, mod.sha256);
      });
    });
  }

  private filemod(w: ProtoWriter, p: Proc): void {
    const path = this.r.pick(FILE_PATHS)(this.profile, this.r);
    const guid = stringGuid(path, this.salt);
    const roll = this.r.float();
    const action = roll < 0.2 ? 1 : roll < 0.6 ? 2 : roll < 0.85 ? 8 : 4;
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, p, guid);
      this.str(w, guid, path);
      w.message(5, () => {
        w.int64(1, this.r.int64());
        w.uint32(2, action);
        if (action === 8) {
          // Only a finished write carries the file's hash and type.
          w.bytes(4, this.r.bytes(16));
          w.uint32(5, fileType(path));
          if (this.sha256) w.bytes(8, this.r.bytes(32));
        }
      });
    });
  }

  private regmod(w: ProtoWriter, p: Proc): void {
    const path = this.r.pick(REG_PATHS)(this.sid.toLowerCase(), this.r);
    const roll = this.r.float();
    const action = roll < 0.7 ? 2 : roll < 0.85 ? 1 : roll < 0.95 ? 8 : 4;
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, p);
      w.message(7, () => {
        w.int64(1, this.r.int64());
        w.uint32(2, action);
        w.string(4, path);
        w.bool(5, false);
      });
    });
  }

  private netconnV1(w: ProtoWriter, p: Proc): void {
    const peer = this.r.pick(PEERS);
    const local = 49152 + this.r.int(16384);
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, p);
      w.message(6, () => {
        w.uint32(2, peer.v4.v4);
        w.uint32(5, swapPort(peer.outbound ? peer.port : local));
        w.uint32(6, peer.udp ? 17 : 6);
        if (peer.domain !== "") w.string(7, peer.domain);
        w.bool(8, peer.outbound);
        w.bool(9, false);
        w.uint32(13, peer.v4.v4);
        w.uint32(14, swapPort(peer.outbound ? peer.port : local));
        w.uint32(15, this.localV4.v4);
        w.uint32(16, swapPort(peer.outbound ? local : peer.port));
      });
    });
  }

  private ip(w: ProtoWriter, field: number, a: Addr): void {
    w.message(field, () => {
      w.bool(1, a.v6);
      if (!a.v6) w.uint32(2, a.v4);
      else {
        w.uint64(3, a.low);
        w.uint64(4, a.high);
        if (a.scope !== undefined) w.string(5, a.scope);
      }
    });
  }

  private netconnV2(w: ProtoWriter, p: Proc): void {
    const peer = this.r.pick(PEERS);
    const v6 = peer.v6 !== undefined && this.r.chance(0.5) ? peer.v6 : undefined;
    const remote = v6 ?? peer.v4;
    const local =
      v6 === undefined
        ? this.localV4
        : v6.scope !== undefined
          ? addr("fe80::a00:27ff:fe4e:66a1", v6.scope)
          : this.localV6;
    const localPort = 49152 + this.r.int(16384);
    const proxy = peer.outbound && peer.port === 443 && this.r.chance(0.05);
    const tls = peer.outbound && peer.port === 443 && this.r.chance(0.5);
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, p);
      w.message(20, () => {
        w.uint32(1, peer.udp ? 17 : 6);
        if (peer.domain !== "") w.string(2, peer.domain);
        w.bool(3, peer.outbound);
        w.bool(4, proxy);
        if (proxy) {
          this.ip(w, 5, addr("10.0.0.8"));
          w.uint32(6, swapPort(3128));
          w.string(7, "proxy.corp.example.com");
        }
        this.ip(w, 8, remote);
        w.uint32(9, swapPort(peer.outbound ? peer.port : localPort));
        this.ip(w, 10, local);
        w.uint32(11, swapPort(peer.outbound ? localPort : peer.port));
        if (tls) {
          w.string(12, this.r.pick(JA3));
          w.string(13, this.r.pick(JA3S));
        }
      });
    });
  }

  private childproc(w: ProtoWriter, parent: Proc, child: Proc, created: boolean, suppressed: boolean): void {
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, parent);
      w.message(12, () => {
        w.bool(1, created);
        w.int64(2, parent.guid);
        w.bytes(3, child.image.md5);
        w.int64(4, child.guid);
        w.string(5, child.image.path);
        w.int64(6, BigInt(child.pid));
        w.int64(7, child.createTime);
        if (suppressed) {
          w.message(9, () => {
            w.bool(1, true);
            w.uint32(2, 1);
          });
          w.string(10, child.commandline);
          w.string(11, child.system ? "SYSTEM" : this.username);
        }
        if (this.sha256) w.bytes(14, child.image.sha256);
      });
    });
  }

  private crossproc(w: ProtoWriter, actor: Proc, open: boolean): void {
    const target = this.r.pick(this.live);
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, actor);
      w.message(14, () => {
        if (open) {
          w.message(1, () => {
            w.uint32(1, this.r.chance(0.85) ? 1 : 2);
            w.uint32(2, target.pid);
            w.uint64(3, target.createTime);
            w.uint32(4, this.r.pick([0x1000, 0x1410, 0x1fffff, 0x101000, 0x40]));
            w.string(5, target.image.path);
            w.bytes(6, target.image.md5);
            if (this.sha256) w.bytes(7, target.image.sha256);
          });
        } else {
          w.message(2, () => {
            w.uint32(1, target.pid);
            w.uint64(2, target.createTime);
            w.string(3, target.image.path);
            w.bytes(4, target.image.md5);
            if (this.sha256) w.bytes(5, target.image.sha256);
          });
        }
        w.bool(3, false);
        w.bool(4, !open && this.r.chance(0.5));
      });
    });
  }

  private emet(w: ProtoWriter, p: Proc): void {
    const ft = this.now();
    const mitigation = 1 + this.r.int(EMET_NAMES.length);
    const blocked = this.r.chance(0.5);
    const exe = p.image.cased.slice(p.image.cased.lastIndexOf("\\") + 1);
    const user = p.system ? "NT AUTHORITY\\SYSTEM" : this.username;
    const text =
      `EMET detected ${EMET_NAMES[mitigation - 1]} mitigation and will ${blocked ? "close" : "log"} ` +
      `the application: ${exe}\r\n\r\n  Application \t: ${p.image.cased}\n  User Name \t: ${user}\n` +
      `  PID \t\t: 0x${p.pid.toString(16).toUpperCase()} (${p.pid})\n\r\n`;
    w.record(() => {
      this.header(w, ft, p);
      w.message(17, () => {
        w.uint64(1, BigInt(this.emetId++));
        w.uint64(2, ft - (ft % 10000000n));
        w.message(3, () => w.uint32(1, mitigation));
        w.string(4, text);
        w.bool(5, blocked);
      });
    });
  }

  private tamper(w: ProtoWriter): void {
    const ft = this.now();
    w.record(() => {
      this.header(w, ft, undefined);
      w.message(15, () => w.uint32(1, 1 + this.r.int(5)));
    });
  }

  /** Binary information (binary_info) about a module or image this sensor has seen. */
  private moduleInfo(w: ProtoWriter): void {
    const b: Binary = this.r.chance(0.5) ? this.r.pick(this.modules) : this.r.pick([...this.images.values()]);
    const ft = this.now();
    const name = b.cased.slice(b.cased.lastIndexOf("\\") + 1);
    const size = 4096 * (8 + this.r.int(8000));
    const signed = b.vendor !== "";
    w.record(() => {
      this.header(w, ft, undefined);
      w.message(9, () => {
        w.string(1, b.md5.toString("hex").toUpperCase());
        w.uint32(2, size);
        w.uint64(3, BigInt(size));
        w.string(4, name.replace(/\.[^.]*$/, ""));
        w.string(5, b.vendor);
        if (b.vendor === MS) w.string(6, "Microsoft® Windows® Operating System");
        w.string(7, "10.0.19041.3636 (WinBuild.160101.0800)");
        if (signed) w.string(9, `© ${b.vendor}. All rights reserved.`);
        w.string(11, name);
        w.string(12, name);
        w.string(14, "10.0.19041.3636");
        w.string(17, signed ? b.vendor : "");
        if (signed) {
          w.string(18, b.vendor === MS ? "Microsoft Windows" : b.vendor);
          w.string(19, "Microsoft Windows Production PCA 2011");
          w.string(20, b.vendor);
        }
        w.string(21, signed ? "Signed" : "Unsigned");
        w.string(22, signed ? "0x00000000" : "0x800B0100");
        if (signed) w.string(23, "2:46 PM 9/29/2023");
        w.bytes(25, Buffer.from("64860700948309560000000000000000f0002200", "hex"));
        w.string(26, b.path);
      });
    });
  }

  /** A banned binary stopped at start or killed while running. */
  private blocked(w: ProtoWriter): void {
    const running = this.r.chance(0.5);
    const image = this.image(this.r.pick(["setup", "notepad", "rundll32"]));
    const ft = this.now();
    const victim = running
      ? this.newProc(image, undefined, ft - 10000000n * BigInt(1 + this.r.int(600)), true)
      : undefined;
    if (victim !== undefined) this.pids.delete(victim.pid);
    const failed = running && this.r.chance(0.2);
    w.record(() => {
      this.header(w, ft, victim, image.guid);
      this.str(w, image.guid, image.path);
      w.message(16, () => {
        w.uint32(1, 1);
        w.uint32(2, running ? 2 : 1);
        w.bytes(3, image.md5);
        w.string(4, image.path);
        w.uint32(5, failed ? 6 : 0);
        if (failed) w.uint32(6, 5); // ERROR_ACCESS_DENIED
        if (victim !== undefined) {
          w.int32(7, victim.pid);
          w.uint64(8, victim.createTime);
        }
        w.string(9, running && victim !== undefined ? victim.commandline : image.cased);
        if (!running) {
          w.string(10, this.sid);
          w.string(11, this.username);
        }
      });
    });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Archive

const MIN_BATCH = 200;
const MAX_BATCH = 3000;

/** Sensor ids: distinct, small, in a deterministic order. */
function sensorIds(r: Rng, count: number): number[] {
  const ids = new Set<number>();
  const range = Math.max(1000, count * 4);
  while (ids.size < count) ids.add(1 + r.int(range));
  return [...ids];
}

/** Writes the archive under `out`, one file at a time (memory does not grow with `events`). */
export async function generateArchive(options: GenerateOptions): Promise<GenerateResult> {
  const seed = options.seed ?? 1;
  const r = new Rng(seed ^ 0x9e3779b9);
  // Around 2024: a start day in January–October 2024.
  const start = Date.UTC(2024, 0, 1) + r.int(300) * DAY_MS;
  const ids = sensorIds(r, options.sensors ?? 4);
  // Busier and quieter endpoints. A sensor's state is built on first use from its own PRNG, so many sensors
  // cost nothing until they get a file, and the schedule below does not shift what each sensor generates.
  const weights = ids.map(() => 0.2 + r.float());
  const totalWeight = weights.reduce((sum, x) => sum + x, 0);
  const sims = new Map<number, SensorSim>();
  const sensor = (i: number): SensorSim => {
    let sim = sims.get(i);
    if (sim === undefined) {
      sim = new SensorSim(new Rng(hash32(`${seed}/${i}`, 0x243f6a88)), ids[i] as number, i, start);
      sims.set(i, sim);
    }
    return sim;
  };
  const w = new ProtoWriter(1 << 20);
  const result: GenerateResult = { files: 0, events: 0, bytes: 0, sensorIds: ids };

  while (result.events < options.events) {
    // Every sensor gets one file first, then busier sensors get more.
    const index = result.files < ids.length ? result.files : pickWeighted(r, weights, totalWeight);
    const isNew = !sims.has(index);
    const sim = sensor(index);
    const batch = Math.min(
      options.events - result.events,
      Math.round(MIN_BATCH * Math.exp(r.float() * Math.log(MAX_BATCH / MIN_BATCH))),
    );
    w.reset();
    let records = 0;
    while (records < batch) records += sim.step(w, batch - records);
    const dir = join(options.out, String(sim.id));
    if (isNew) await makeDirectory(dir);
    const path = join(dir, sim.nextFileName());
    await writeFile(path, w.view());
    result.files++;
    result.events += records;
    result.bytes += w.length;
    options.onFile?.(path, records, w.length);
  }
  return result;
}

function pickWeighted(r: Rng, weights: readonly number[], total: number): number {
  let x = r.float() * total;
  for (let i = 0; i < weights.length; i++) {
    x -= weights[i] as number;
    if (x < 0) return i;
  }
  return weights.length - 1;
}
