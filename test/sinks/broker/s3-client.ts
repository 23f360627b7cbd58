// Reading back what the S3 output stored: ListObjectsV2 and GetObject against the test's s3rver, signed with
// the output's own SigV4 code and s3rver's fixed keys.
import { request } from "node:http";
import { sign } from "../../../src/sinks/broker/s3-sign.js";

const CREDENTIALS = { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" };

function get(url: URL): Promise<Buffer> {
  const headers = sign({ method: "GET", url, headers: {}, body: Buffer.alloc(0) }, CREDENTIALS, "us-east-1");
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (d: Buffer) => chunks.push(d));
      res.on("end", () => {
        const body = Buffer.concat(chunks);
        if (res.statusCode !== 200)
          reject(new Error(`GET ${url}: ${res.statusCode} ${body.toString("utf8")}`));
        else resolve(body);
      });
    });
    req.on("error", reject);
    req.end();
  });
}

export async function listObjects(port: number, bucket: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const url = new URL(`http://127.0.0.1:${port}/${bucket}`);
    url.searchParams.set("list-type", "2");
    if (token !== undefined) url.searchParams.set("continuation-token", token);
    const xml = (await get(url)).toString("utf8");
    for (const m of xml.matchAll(/<Key>([^<]*)<\/Key>/g)) keys.push(m[1] as string);
    token = /<NextContinuationToken>([^<]*)</.exec(xml)?.[1];
  } while (token !== undefined);
  return keys;
}

export function getObject(port: number, bucket: string, key: string): Promise<Buffer> {
  return get(new URL(`http://127.0.0.1:${port}/${bucket}/${key}`));
}
