// AWS Signature Version 4 for S3 requests (what every S3-compatible store accepts), and the credentials to sign
// with: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else a profile of the shared credentials
// file (~/.aws/credentials, AWS_SHARED_CREDENTIALS_FILE, AWS_PROFILE). The payload is always hashed (no
// UNSIGNED-PAYLOAD), so a store verifies the bytes it stores.
import { createHash, createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import { homedir } from "node:os";
import { join } from "node:path";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface SignedRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: Buffer;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac("sha256", key).update(data).digest();
}

/** RFC 3986 encoding as SigV4 wants it; "/" kept in paths. */
export function uriEncode(text: string, keepSlash: boolean): string {
  let out = "";
  for (const byte of Buffer.from(text, "utf8")) {
    const c = String.fromCharCode(byte);
    if (/[A-Za-z0-9_.~-]/.test(c) || (keepSlash && c === "/")) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** Adds host, x-amz-date, x-amz-content-sha256, the session token and Authorization to the headers. */
export function sign(
  request: SignedRequest,
  credentials: Credentials,
  region: string,
  now = new Date(),
): Record<string, string> {
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d{3}/, "");
  const day = amzDate.slice(0, 8);
  const headers: Record<string, string> = {
    ...lowerKeys(request.headers),
    host: request.url.host,
    "x-amz-date": amzDate,
    "x-amz-content-sha256": sha256Hex(request.body),
  };
  if (credentials.sessionToken !== undefined) headers["x-amz-security-token"] = credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const canonicalHeaders = names
    .map((n) => `${n}:${String(headers[n]).trim().replace(/\s+/g, " ")}\n`)
    .join("");
  const signedHeaders = names.join(";");
  const query = [...request.url.searchParams]
    .map(([k, v]) => [uriEncode(k, false), uriEncode(v, false)])
    .sort(([a, x], [b, y]) =>
      a === b ? ((x as string) < (y as string) ? -1 : 1) : (a as string) < (b as string) ? -1 : 1,
    )
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  const path = uriEncode(decodeURIComponent(request.url.pathname), true);
  const canonical = [
    request.method,
    path,
    query,
    canonicalHeaders,
    signedHeaders,
    headers["x-amz-content-sha256"],
  ].join("\n");
  const scope = `${day}/${region}/s3/aws4_request`;
  const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256Hex(canonical)].join("\n");
  const key = hmac(hmac(hmac(hmac(`AWS4${credentials.secretAccessKey}`, day), region), "s3"), "aws4_request");
  const signature = createHmac("sha256", key).update(toSign).digest("hex");
  headers.authorization =
    `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/${scope}, ` +
    `SignedHeaders=${signedHeaders}, Signature=${signature}`;
  return headers;
}

function lowerKeys(headers: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) out[k.toLowerCase()] = v;
  return out;
}

/** The environment's keys, else the profile's in the shared credentials file; an Error says where it looked. */
export async function findCredentials(
  profile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Credentials> {
  const id = env.AWS_ACCESS_KEY_ID;
  const secret = env.AWS_SECRET_ACCESS_KEY;
  if (profile === undefined && id !== undefined && id !== "" && secret !== undefined && secret !== "")
    return { accessKeyId: id, secretAccessKey: secret, sessionToken: env.AWS_SESSION_TOKEN || undefined };
  const file = env.AWS_SHARED_CREDENTIALS_FILE ?? join(homedir(), ".aws", "credentials");
  const name = profile ?? env.AWS_PROFILE ?? "default";
  const text = await readFile(file, "utf8").catch(() => undefined);
  const section = text === undefined ? undefined : iniSection(text, name);
  const accessKeyId = section?.aws_access_key_id;
  const secretAccessKey = section?.aws_secret_access_key;
  if (accessKeyId === undefined || secretAccessKey === undefined)
    throw new Error(
      `no S3 credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give profile "${name}" ` +
        `aws_access_key_id and aws_secret_access_key in ${file}`,
    );
  return { accessKeyId, secretAccessKey, sessionToken: section?.aws_session_token };
}

function iniSection(text: string, name: string): Record<string, string> | undefined {
  let current: Record<string, string> | undefined;
  let found: Record<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[\s*(?:profile\s+)?([^\]]+?)\s*\]$/.exec(line);
    if (header !== null) {
      current = undefined;
      if (header[1] === name) {
        found = {};
        current = found;
      }
      continue;
    }
    const eq = line.indexOf("=");
    if (current !== undefined && eq > 0) current[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return found;
}
