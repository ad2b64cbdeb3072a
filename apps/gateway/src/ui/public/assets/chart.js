// Daily spend as stacked bars, drawn as inline SVG: no chart library, nothing from a CDN.
import { h, s } from './dom.js';
import { usd, usdShort } from './format.js';

// Okabe–Ito-derived: distinguishable with the common colour-vision deficiencies.
const PALETTE = ['#2f6fed', '#e69f00', '#009e73', '#cc79a7', '#56b4e9', '#d55e00', '#7a5cd6', '#b8a000'];
const NO_TEAM = '#98a2b3';

export function seriesColor(series, index) {
  return series.team_id === null ? NO_TEAM : PALETTE[index % PALETTE.length];
}

/** A "nice" axis maximum and step (1, 2, 2.5 or 5 times a power of ten), about four gridlines. */
export function niceScale(max) {
  if (!(max > 0)) return { top: 1, step: 0.25 };
  const rough = max / 4;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((candidate) => candidate >= rough);
  return { top: Math.ceil(max / step - 1e-9) * step, step };
}

function shortDay(day) {
  const [y, m, d] = day.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d)).toLocaleDateString(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
}

/**
 * `data`: { days: ['2025-03-01', …], series: [{ team_id, label, values: [usd per day], total }] }.
 * Drawn at its real pixel width (text stays legible from a phone to a wide screen); every bar
 * segment has a <title> tooltip.
 */
export function stackedBarChart(data, { width = 760 } = {}) {
  const narrow = width < 560;
  const height = narrow ? 210 : 280;
  const totals = data.days.map((_, i) => data.series.reduce((sum, series) => sum + series.values[i], 0));
  const { top, step } = niceScale(Math.max(0, ...totals));
  const ticks = [];
  for (let value = 0; value <= top + step / 2; value += step) ticks.push(value);
  const tickLabels = ticks.map(usdShort);
  // Room for the longest y label at 11 px (about 6.5 px per character).
  const margin = { top: 14, right: 8, bottom: 28, left: Math.ceil(Math.max(...tickLabels.map((label) => label.length)) * 6.5) + 14 };
  const plotW = width - margin.left - margin.right;
  const plotH = height - margin.top - margin.bottom;
  const y = (value) => margin.top + plotH - (value / top) * plotH;
  const band = plotW / data.days.length;
  const barW = Math.max(2, band * 0.72);
  // A date label needs about 44 px: every 5th day on a wide chart, every 10th on a narrow one.
  const every = band * 5 >= 48 ? 5 : 10;

  const grid = ticks.flatMap((value, i) => [
    s('line', { x1: margin.left, x2: width - margin.right, y1: y(value), y2: y(value), class: value === 0 ? 'axis' : 'gridline' }),
    s('text', { x: margin.left - 8, y: y(value), class: 'tick', 'text-anchor': 'end', 'dominant-baseline': 'middle' }, tickLabels[i]),
  ]);
  const last = data.days.length - 1;
  const labels = data.days.map((day, i) => {
    if ((last - i) % every !== 0) return null;
    // The newest day's label ends at the plot's edge instead of running off it.
    const x = i === last ? margin.left + band * (i + 1) : margin.left + band * i + band / 2;
    return s('text', { x, y: height - 8, class: 'tick', 'text-anchor': i === last ? 'end' : 'middle' }, shortDay(day));
  });
  const bars = data.days.map((day, i) => {
    let base = 0;
    const segments = data.series.map((series, index) => {
      const value = series.values[i];
      if (!(value > 0)) return null;
      const rect = s(
        'rect',
        {
          x: margin.left + band * i + (band - barW) / 2,
          y: y(base + value),
          width: barW,
          height: Math.max(0.5, y(base) - y(base + value)),
          fill: seriesColor(series, index),
        },
        s('title', null, `${series.label} · ${shortDay(day)}: ${usd(value)}`),
      );
      base += value;
      return rect;
    });
    return s('g', { class: 'bar-day', dataset: { day, total: String(totals[i]) } }, segments);
  });
  const empty = totals.every((total) => total === 0)
    ? s(
        'text',
        { x: margin.left + plotW / 2, y: margin.top + plotH / 2, class: 'chart-empty', 'text-anchor': 'middle' },
        'No spend in the last 30 days',
      )
    : null;

  const total = data.series.reduce((sum, series) => sum + series.total, 0);
  return s(
    'svg',
    {
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      class: 'chart',
      role: 'img',
      'aria-label': `Daily spend for the last ${data.days.length} days, stacked by team; ${usd(total)} in total`,
    },
    grid,
    bars,
    labels,
    empty,
  );
}

function legend(data) {
  return h(
    'ul',
    { class: 'legend' },
    data.series.map((series, index) =>
      h(
        'li',
        null,
        h('span', { class: 'swatch', style: { background: seriesColor(series, index) } }),
        series.label,
        h('span', { class: 'muted' }, ` ${usd(series.total)}`),
      ),
    ),
  );
}

/** The chart and its legend, redrawn when the container's width changes (rotation, resize). */
export function chartFigure(data) {
  const holder = h('div', { class: 'chart-holder' });
  const figure = h('figure', { class: 'chart-figure' }, holder, data.series.length > 0 ? legend(data) : null);
  let drawnWidth = 0;
  const draw = () => {
    const width = Math.floor(holder.clientWidth);
    if (width <= 0 || width === drawnWidth) return;
    drawnWidth = width;
    holder.replaceChildren(stackedBarChart(data, { width }));
  };
  new ResizeObserver(draw).observe(holder);
  return figure;
}
