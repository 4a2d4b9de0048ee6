// HTTP Basic auth as post-service sends it when its URL holds user:password@.
import { timingSafeEqual } from "node:crypto";

/** A check of an Authorization header against `user:password`, in constant time. */
export function basicAuth(credentials: string): (header: string | null) => boolean {
  const expected = Buffer.from(`Basic ${Buffer.from(credentials).toString("base64")}`);
  return (header) => {
    const given = Buffer.from(header ?? "");
    // Compare equal lengths only, and always compare, so timing says nothing of the secret.
    const same = timingSafeEqual(given.length === expected.length ? given : expected, expected);
    return same && given.length === expected.length;
  };
}
