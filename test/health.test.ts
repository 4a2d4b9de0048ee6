// k2pow health, the image's HEALTHCHECK: the real command against a real server on loopback.
import { describe, expect, test } from "bun:test";
import { healthConfig, healthUrl } from "../src/cli/health";
import { serveFake } from "./support/fake-job-api";
import { run } from "./support/run";

const health = (args: string[], env: Record<string, string> = {}) =>
  run(["bun", "src/main.ts", "health", ...args], { env: { PATH: process.env.PATH!, ...env } });

describe("k2pow health", () => {
  test("asks the server's own bind address, a wildcard on loopback, https when it has a certificate", () => {
    expect(healthUrl({ host: "0.0.0.0", port: 3000 }, false)).toBe("http://127.0.0.1:3000/");
    expect(healthUrl({ host: "::", port: 3000 }, true)).toBe("https://[::1]:3000/");
    expect(healthUrl({ host: "fd00::5", port: 80 }, false)).toBe("http://[fd00::5]:80/");
    expect(healthConfig([], { K2POW_BIND_ADDRESS: "10.1.2.3:4000", K2POW_TLS_CERT: "/c.pem" })).toEqual({
      url: "https://10.1.2.3:4000/",
      timeoutMs: 5000,
    });
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
});
