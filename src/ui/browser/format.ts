// Numbers, durations and times written for people.

const DASH = "—";
/** Narrow no-break space: groups digits without letting a number wrap. */
const THIN = "\u202f";
/** No-break space: keeps a number on the same line as its unit. */
const NB = "\u00a0";

/** Two digits, for clock times and the smaller unit of a duration: "05". */
function pad2(n: number): string {
  return String(n).padStart(2, "0");
}

/** Three significant digits, without trailing zeros: 46.6, 123, 4.5. */
function sig3(n: number): string {
  return String(Number(n.toPrecision(3)));
}

/** "46.6 H/s", "1.23 kH/s", "4.5 MH/s". */
export function formatRate(hashesPerSecond: number | null): string {
  if (hashesPerSecond === null || !Number.isFinite(hashesPerSecond)) return DASH;
  const units = ["H/s", "kH/s", "MH/s", "GH/s"];
  let value = hashesPerSecond;
  let unit = 0;
  while (Math.abs(value) >= 999.5 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${value === 0 ? "0" : sig3(value)}${NB}${units[unit]}`;
}

/** "8.1 s", "42 s", "3 min 12 s", "2 h 05 min", "3 d 04 h". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return DASH;
  if (seconds < 9.95) return `${seconds.toFixed(1)}${NB}s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s}${NB}s`;
  if (s < 3600) return `${Math.floor(s / 60)}${NB}min ${s % 60}${NB}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}${NB}h ${pad2(Math.floor((s % 3600) / 60))}${NB}min`;
  return `${Math.floor(s / 86400)}${NB}d ${pad2(Math.floor((s % 86400) / 3600))}${NB}h`;
}

/** Bytes in binary units: "512 MiB", "2.25 GiB". */
export function formatBytes(bytes: number | null): string {
  if (bytes === null || !Number.isFinite(bytes)) return DASH;
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${unit === 0 ? value : sig3(value)}${NB}${units[unit]}`;
}

/** A whole count with its digits grouped by threes; decimal strings too, since some counts pass 2^53. */
export function formatCount(count: number | string | null): string {
  if (count === null) return DASH;
  const digits = typeof count === "number" ? String(Math.round(count)) : count;
  if (!/^\d+$/.test(digits)) return digits;
  return digits.replace(/\B(?=(\d{3})+$)/g, THIN);
}

/** 0..1 as "47%"; below 1% with one decimal, so that a long job is seen to move. */
export function formatPercent(fraction: number): string {
  const percent = fraction * 100;
  if (percent < 0.05) return "0%";
  return percent < 1 ? `${percent.toFixed(1)}%` : `${Math.floor(percent)}%`;
}

/** A local clock time, "14:02:11". */
export function formatClock(at: number): string {
  const d = new Date(at);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** When something happened or will: the clock time if today, else the day too, "21 Nov 23:45". */
export function formatWhen(at: number, seconds = true): string {
  const then = new Date(at);
  const clock = formatClock(at);
  if (then.toDateString() === new Date().toDateString()) return seconds ? clock : clock.slice(0, 5);
  return `${then.toLocaleDateString("en-GB", { day: "numeric", month: "short" })} ${clock.slice(0, 5)}`;
}

/**
 * Time left, and the end as a clock time, which is what an operator plans around: "3 min 12 s (about 14:25)". A job
 * past its expected hashes (`done` of `expected`) has no end to foresee: that is said instead of "0 s".
 */
export function formatEta(seconds: number | null, done: number, expected: number): string {
  if (expected > 0 && done >= expected) return `past its expected hashes (${(done / expected).toFixed(1)}×): luck decides when`;
  if (seconds === null) return "estimating…";
  return `${formatDuration(seconds)} (about ${formatWhen(Date.now() + seconds * 1000, false)})`;
}

/** A job's name for people: the first 8 hex digits of its miner and its nonce group, "3fa2c1d0/7". */
export function shortJob(miner: string, nonceGroup: number | string): string {
  return `${miner.slice(0, 8)}/${nonceGroup}`;
}

/** The short name of a job key "<miner>/<group>/<challenge>/<difficulty>". */
export function shortKey(key: string): string {
  const [miner = key, group = "?"] = key.split("/");
  return shortJob(miner, group);
}
