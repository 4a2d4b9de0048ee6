// A failed TLS connection explained for the person who can fix it. Bun reports a certificate it does not trust with
// OpenSSL's verification code (UNABLE_TO_VERIFY_LEAF_SIGNATURE, DEPTH_ZERO_SELF_SIGNED_CERT, …) on the error of
// fetch() and on a WebSocket's error event (its close event says only 1006), and a server that does not speak TLS
// with EPROTO.

const NOT_TRUSTED = new Set([
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_UNTRUSTED",
  "CERT_SIGNATURE_FAILURE",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REJECTED",
  "INVALID_CA",
]);
const OUT_OF_DATE = new Set(["CERT_HAS_EXPIRED", "CERT_NOT_YET_VALID"]);

/**
 * What a connection error means when it is about TLS, else null. `peer` names the server ("the pool"), `host` is
 * the name or address connected to.
 */
export function explainTlsFailure(error: { code?: unknown; message?: unknown }, peer: string, host: string): string | null {
  const code = typeof error.code === "string" ? error.code : "";
  // A WebSocket's message is "WebSocket connection to '…' failed: TLS handshake failed: <what OpenSSL said>".
  const said = String(error.message ?? "").replace(/^.*TLS handshake failed: /, "");
  if (NOT_TRUSTED.has(code)) return `${peer}'s certificate is not trusted (${said}): give its CA with --ca FILE`;
  if (OUT_OF_DATE.has(code)) return `${peer}'s certificate is out of date (${said}): it must be renewed, or this machine's clock is wrong`;
  if (code === "ERR_TLS_CERT_ALTNAME_INVALID") return `${peer}'s certificate is not issued for ${host}: connect by a name or address it names`;
  if (code === "EPROTO") return `the TLS handshake with ${host} failed: does ${peer} serve TLS on this port (--tls-cert, --tls-key)?`;
  return null;
}
