let cachedSecond = Number.NaN;
let cachedPrefix = '';

/**
 * `new Date().toISOString()` of the current time, formatted once per second: only the
 * milliseconds are appended per call (Date#toISOString costs about 1 µs here, on every ping).
 */
export function isoNow(now: number = Date.now()): string {
  const second = Math.floor(now / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, -4); // "YYYY-MM-DDTHH:mm:ss."
  }
  const ms = now - second * 1000;
  return `${cachedPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}
