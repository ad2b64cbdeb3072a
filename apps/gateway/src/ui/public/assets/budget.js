// Budget bars: spent, reserved (requests in flight) and what is left of max_budget.
import { badge, h } from './dom.js';
import { percent, usd } from './format.js';

/** (spend + reserved) / max_budget; a zero budget admits nothing, so it reads as used up. */
export function usedRatio({ spend, reserved_spend: reserved = 0, max_budget: max }) {
  if (max === null || max === undefined) return null;
  if (max === 0) return 1;
  return (spend + reserved) / max;
}

/** A budget counts as exhausted from 99.5%: a next call's reservation will not fit. */
export function budgetState(holder) {
  const used = usedRatio(holder);
  if (used === null) return 'unlimited';
  if (used >= 0.995) return 'exhausted';
  if (used >= 0.8) return 'warning';
  return 'ok';
}

export function budgetBadge(holder) {
  const state = budgetState(holder);
  if (state === 'exhausted') return badge('Budget exhausted', 'danger');
  if (state === 'warning') return badge('Near limit', 'warning');
  return null;
}

export function budgetBar(holder, { compact = false } = {}) {
  const { spend, reserved_spend: reserved = 0, max_budget: max } = holder;
  const state = budgetState(holder);
  if (state === 'unlimited') {
    return h('div', { class: 'budget' }, h('div', { class: 'budget-text' }, h('strong', null, usd(spend)), ' spent · no budget'));
  }
  const used = usedRatio(holder);
  const share = (value) => (max === 0 ? 0 : Math.min(100, (value / max) * 100));
  const spentPct = max === 0 ? 100 : share(spend);
  const reservedPct = Math.min(100 - spentPct, share(reserved));
  const remaining = Math.max(0, max - spend - reserved);
  const bar = h(
    'div',
    {
      class: ['bar', `bar-${state}`],
      role: 'meter',
      'aria-valuemin': 0,
      'aria-valuemax': 100,
      'aria-valuenow': Math.min(100, Math.round(used * 100)),
      'aria-label': `Budget used: ${percent(used)}`,
      dataset: { state },
    },
    h('span', { class: 'bar-spent', style: { width: `${spentPct}%` } }),
    h('span', { class: 'bar-reserved', style: { width: `${reservedPct}%` } }),
  );
  return h(
    'div',
    { class: ['budget', compact ? 'budget-compact' : null] },
    bar,
    h(
      'div',
      { class: 'budget-text' },
      h('strong', null, usd(spend)),
      ` of ${usd(max)}`,
      h('span', { class: 'budget-pct' }, ` · ${percent(used, 0)}`),
      compact ? null : h('span', { class: 'muted' }, ` · ${usd(reserved)} reserved · ${usd(remaining)} left`),
    ),
  );
}
