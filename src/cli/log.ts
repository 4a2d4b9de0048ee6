// Log lines on stderr: plain text for people, one JSON object per line for collectors.

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export type LogFormat = "text" | "json";

export type Logger = Record<LogLevel, (message: string, fields?: Record<string, unknown>) => void>;

export function createLogger(level: LogLevel, format: LogFormat, write = (line: string) => process.stderr.write(line)): Logger {
  const threshold = LOG_LEVELS.indexOf(level);
  const emit = (at: LogLevel) => (message: string, fields: Record<string, unknown> = {}) => {
    if (LOG_LEVELS.indexOf(at) > threshold) return;
    const time = new Date().toISOString();
    if (format === "json") {
      write(`${JSON.stringify({ time, level: at, message, ...fields }, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
    } else {
      const extra = Object.entries(fields).map(([k, v]) => ` ${k}=${typeof v === "string" && /\s/.test(v) ? JSON.stringify(v) : String(v)}`);
      write(`${time} ${at.toUpperCase().padEnd(5)} ${message}${extra.join("")}\n`);
    }
  };
  return { error: emit("error"), warn: emit("warn"), info: emit("info"), debug: emit("debug") };
}
