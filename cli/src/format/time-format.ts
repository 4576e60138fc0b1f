const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** Bucardo's clock: `HH:MM:SS` for today, else `Mon DD, YYYY HH:MM:SS` (local time). */
export function formatWhen(date: Date, now = new Date()): string {
  const clock = `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
  return sameDay(date, now) ? clock : formatLong(date);
}

export function formatLong(date: Date): string {
  return `${months[date.getMonth()]} ${pad(date.getDate())}, ${date.getFullYear()} ${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

/** How `prettyDuration` writes: without spaces (`--compress`), with days (`--show-days`). */
export interface DurationStyle {
  readonly compress?: boolean;
  readonly showDays?: boolean;
}

/**
 * Bucardo's `pretty_time`: `1h 2m 3s` (each unit only when over 60, or 24 hours, of the unit below), days
 * only when asked (`2d 3h 4m 5s`), optionally without spaces.
 */
export function prettyDuration(milliseconds: number, style: DurationStyle = {}): string {
  let seconds = Math.max(0, Math.ceil(milliseconds / 1000));
  let text = '';
  if (style.showDays && seconds > 86400) { text += `${Math.floor(seconds / 86400)}d `; seconds %= 86400; }
  if (seconds > 3600) { text += `${Math.floor(seconds / 3600)}h `; seconds %= 3600; }
  if (seconds > 60) { text += `${Math.floor(seconds / 60)}m `; seconds %= 60; }
  text += `${seconds}s`;
  return style.compress ? text.replaceAll(' ', '') : text;
}

/** A count with thousands separators, as Bucardo's detail block prints it. */
export function groupDigits(value: number): string {
  return value.toLocaleString('en-US');
}

function sameDay(a: Date, b: Date): boolean {
  return a.getFullYear() === b.getFullYear() && a.getMonth() === b.getMonth() && a.getDate() === b.getDate();
}
