// The PEM files that TLS flags name, read and checked before they are used, so that a wrong file is one line saying
// which and why: a server's certificate and key (--tls-cert, --tls-key), a client's private CA (--ca).
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import type { TlsPem } from "../http/server";

export interface TlsFiles {
  cert: string;
  key: string;
}

/** The files of a config that has them. */
export const tlsFilesOf = (config: { tlsCert?: string; tlsKey?: string }): TlsFiles | undefined =>
  config.tlsCert !== undefined && config.tlsKey !== undefined ? { cert: config.tlsCert, key: config.tlsKey } : undefined;

export type TlsLoaded = { ok: true; pem: TlsPem; warning: string | null } | { ok: false; message: string };

/** Reads the certificate and key and checks they are PEM and belong together; an expired certificate is a warning. */
export function loadTls(files: TlsFiles, now = Date.now()): TlsLoaded {
  const cert = readText("--tls-cert", files.cert);
  if (!cert.ok) return cert;
  const key = readText("--tls-key", files.key);
  if (!key.ok) return key;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(cert.text);
  } catch (err) {
    return { ok: false, message: `--tls-cert ${files.cert} is not a PEM certificate (-----BEGIN CERTIFICATE-----): ${(err as Error).message}` };
  }
  let matches: boolean;
  try {
    matches = certificate.checkPrivateKey(createPrivateKey(key.text));
  } catch (err) {
    return { ok: false, message: `--tls-key ${files.key} is not an unencrypted PEM private key: ${(err as Error).message}` };
  }
  if (!matches) return { ok: false, message: `--tls-key ${files.key} is not the key of the certificate in --tls-cert ${files.cert}` };
  const expired = Date.parse(certificate.validTo) < now;
  return {
    ok: true,
    pem: { cert: cert.text, key: key.text },
    warning: expired ? `the certificate in --tls-cert ${files.cert} expired on ${certificate.validTo}: clients will refuse it until it is renewed` : null,
  };
}

/** The CA certificate(s) in a --ca file, as PEM text. */
export function readCa(file: string): { ok: true; pem: string } | { ok: false; message: string } {
  const ca = readText("--ca", file);
  if (!ca.ok) return ca;
  try {
    new X509Certificate(ca.text);
  } catch (err) {
    return { ok: false, message: `--ca ${file} is not a PEM certificate (-----BEGIN CERTIFICATE-----): ${(err as Error).message}` };
  }
  return { ok: true, pem: ca.text };
}

function readText(flag: string, file: string): { ok: true; text: string } | { ok: false; message: string } {
  try {
    return { ok: true, text: readFileSync(file, "utf8") };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === "ENOENT" ? "no such file" : code === "EACCES" ? "permission denied" : code === "EISDIR" ? "it is a directory" : (err as Error).message;
    return { ok: false, message: `cannot read ${flag} ${file}: ${why}` };
  }
}
