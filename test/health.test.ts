// k2pow health, the image's HEALTHCHECK: the real command against a real server on loopback.
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { healthConfig, healthUrl } from "../src/cli/health";
import { makeCerts } from "./support/certs";
import { serveFake } from "./support/fake-job-api";
import { run } from "./support/run";

const main = join(import.meta.dir, "..", "src", "main.ts");
const health = (args: string[], env: Record<string, string> = {}) =>
  run([process.execPath, main, "health", ...args], { env: { PATH: process.env.PATH!, ...env } });

describe("k2pow health", () => {
  test("asks the server's own bind address, a wildcard on loopback, https when it has a certificate", () => {
    expect(healthUrl({ host: "0.0.0.0", port: 3000 }, false)).toBe("http://127.0.0.1:3000/");
    expect(healthUrl({ host: "::", port: 3000 }, true)).toBe("https://[::1]:3000/");
    expect(healthUrl({ host: "fd00::5", port: 80 }, false)).toBe("http://[fd00::5]:80/");
    expect(healthConfig([], { K2POW_BIND_ADDRESS: "10.1.2.3:4000", K2POW_TLS_CERT: "/c.pem" })).toEqual({
      url: "https://10.1.2.3:4000/",
      timeoutMs: 5000,
      checkCertificate: true,
    });
    expect(healthConfig(["--timeout", "0.5"], { K2POW_TLS_CERT: "/c.pem" })).toEqual({ url: "https://127.0.0.1:3000/", timeoutMs: 500, checkCertificate: false });
  });

  test("exits 0 when the server answers GET / with 200, reading K2POW_BIND_ADDRESS as the server does", async () => {
    const worker = serveFake();
    try {
      const port = new URL(worker.base).port;
      const result = await health([], { K2POW_BIND_ADDRESS: `0.0.0.0:${port}` });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
    } finally {
      worker.stop();
    }
  });

  test("exits 1 and says why when nothing listens, and when the answer is not 200", async () => {
    const refused = await health(["--bind-address", "127.0.0.1:9"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("http://127.0.0.1:9/: connection refused: nothing listens there");

    const other = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("starting", { status: 503 }) });
    try {
      const failing = await health(["--bind-address", `127.0.0.1:${other.port}`]);
      expect(failing.code).toBe(1);
      expect(failing.stderr).toContain(`http://127.0.0.1:${other.port}/ answered 503, not 200`);
    } finally {
      other.stop(true);
    }
  });

  test("asks over https when the server has a certificate, its own on loopback: no check of a name it does not bear", async () => {
    const certs = await makeCerts();
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      tls: { cert: readFileSync(certs.cert, "utf8"), key: readFileSync(certs.key, "utf8") },
      fetch: () => new Response("{ 'message': 'ok' }"),
    });
    try {
      const result = await health(["--bind-address", `0.0.0.0:${server.port}`], { K2POW_TLS_CERT: certs.cert });
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const plain = await health(["--bind-address", `127.0.0.1:${server.port}`]);
      expect(plain.code).toBe(1);
    } finally {
      server.stop(true);
      certs.remove();
    }
  });
});
