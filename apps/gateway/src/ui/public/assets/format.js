// Display formatting. Money arrives as USD numbers converted from integer nano-dollars by the
// gateway; small amounts keep their digits instead of rounding to "$0.00".

const grouped = new Intl.NumberFormat('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const integer = new Intl.NumberFormat('en-US');

export function usd(value) {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '$0.00';
  const sign = value < 0 ? '-' : '';
  const abs = Math.abs(value);
  if (abs >= 0.01) return `${sign}$${grouped.format(abs)}`;
  // Below a cent: up to nine decimals (one nano-dollar), trailing zeros dropped.
  return `${sign}$${abs.toFixed(9).replace(/0+$/, '')}`;
}

/** Axis labels: short, never more precise than the scale needs. */
export function usdShort(value) {
  if (value === 0) return '$0';
  if (value >= 1000) return `$${(value / 1000).toFixed(value >= 10000 ? 0 : 1)}k`;
  if (value >= 1) return `$${value.toFixed(value >= 10 ? 0 : 2)}`;
  return `$${Number(value.toPrecision(2))}`;
}

export function count(value) {
  return value === null || value === undefined ? '—' : integer.format(value);
}

export function percent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '—';
  return `${(ratio * 100).toFixed(digits)}%`;
}

export function dateTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function date(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

/** "3 min ago", "in 2 days": for last-used and reset dates. */
export function relative(iso, now = Date.now()) {
  if (!iso) return '—';
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const units = [
    ['day', 86_400_000],
    ['hour', 3_600_000],
    ['minute', 60_000],
    ['second', 1_000],
  ];
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, ms] of units) {
    if (abs >= ms || unit === 'second') return rtf.format(Math.round(diff / ms), unit);
  }
  return '';
}

export function ms(value) {
  if (value === null || value === undefined) return '—';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : `${integer.format(value)} ms`;
}
