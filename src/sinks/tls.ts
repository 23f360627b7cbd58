// TLS settings shared by syslog+tls, tls, https and splunk+https outputs: CA, client certificate, expected
// server name, minimum version. The server's certificate is verified unless verify=false says otherwise.
import { readFile } from "node:fs/promises";
import { type ConnectionOptions, checkServerIdentity, type SecureVersion } from "node:tls";

export interface TlsSettings {
  /** PEM file of the CA certificate(s) to verify the server with (default: Node's bundled CAs). */
  ca?: string | undefined;
  /** PEM file of a client certificate, with `key`. */
  cert?: string | undefined;
  key?: string | undefined;
  /** Name the server's certificate must carry (default: the URL's host). */
  servername?: string | undefined;
  minVersion: SecureVersion;
  verify: boolean;
}

export const TLS_VERSIONS: readonly SecureVersion[] = ["TLSv1.2", "TLSv1.3"];

/** Node's options for tls.connect / https.Agent, with the PEM files read. */
export async function tlsConnectionOptions(settings: TlsSettings, host: string): Promise<ConnectionOptions> {
  const read = async (what: string, path: string | undefined) => {
    if (path === undefined) return undefined;
    try {
      return await readFile(path);
    } catch (err) {
      throw new Error(`cannot read the TLS ${what} file ${path}: ${(err as Error).message}`);
    }
  };
  const servername = settings.servername ?? host;
  const options: ConnectionOptions = { minVersion: settings.minVersion, rejectUnauthorized: settings.verify };
  // Keys are set only when given: an explicit undefined replaces Node's defaults (checkServerIdentity!).
  const ca = await read("CA", settings.ca);
  if (ca !== undefined) options.ca = ca;
  const cert = await read("certificate", settings.cert);
  if (cert !== undefined) options.cert = cert;
  const key = await read("key", settings.key);
  if (key !== undefined) options.key = key;
  // SNI must not be an IP address (RFC 6066); the certificate check still uses the host.
  if (!/^[\d.]+$|:/.test(servername)) options.servername = servername;
  if (settings.servername !== undefined) options.checkServerIdentity = checkAs(settings.servername);
  return options;
}

/** Verifies the certificate against the configured name instead of the host connected to. */
function checkAs(name: string): ConnectionOptions["checkServerIdentity"] {
  return (_host, cert) => checkServerIdentity(name, cert);
}

/** Errors of certificate checks: trying again cannot fix them, so the output fails at once. */
const CERTIFICATE_ERRORS = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_UNSUPPORTED_PROTOCOL",
  "ERR_SSL_WRONG_VERSION_NUMBER",
]);

export function isCertificateError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  return typeof code === "string" && CERTIFICATE_ERRORS.has(code);
}
