// Throwaway certificates made with the openssl command: a CA, a server certificate it signed for 127.0.0.1 and
// localhost, and a second CA that signed nothing here (a client trusting only it must refuse the server).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "./run";

export interface TestCerts {
  dir: string;
  /** The CA that signed the server certificate. */
  ca: string;
  /** An unrelated CA. */
  otherCa: string;
  cert: string;
  key: string;
  remove(): void;
}

async function openssl(...args: string[]): Promise<void> {
  const { code, stderr } = await run(["openssl", ...args]);
  if (code !== 0) throw new Error(`openssl ${args[0]} failed:\n${stderr}`);
}

export async function makeCerts(): Promise<TestCerts> {
  const dir = mkdtempSync(join(tmpdir(), "k2pow-certs-"));
  const at = (file: string) => join(dir, file);
  const newKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  try {
    for (const name of ["ca", "other-ca"]) {
      await openssl("req", "-x509", ...newKey, "-keyout", at(`${name}.key`), "-out", at(`${name}.pem`), "-days", "2", "-subj", `/CN=k2pow test ${name}`);
    }
    await openssl("req", ...newKey, "-keyout", at("server.key"), "-out", at("server.csr"), "-subj", "/CN=localhost");
    writeFileSync(at("server.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
    await openssl("x509", "-req", "-in", at("server.csr"), "-CA", at("ca.pem"), "-CAkey", at("ca.key"), "-CAcreateserial", "-days", "2", "-extfile", at("server.ext"), "-out", at("server.pem"));
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    dir,
    ca: join(dir, "ca.pem"),
    otherCa: join(dir, "other-ca.pem"),
    cert: join(dir, "server.pem"),
    key: join(dir, "server.key"),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
