import { api } from '../api.js';
import { budgetBadge, budgetBar } from '../budget.js';
import { chartFigure } from '../chart.js';
import { badge, card, emptyRow, h, table } from '../dom.js';
import { count, date, percent, usd } from '../format.js';

function plural(n, word) {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function stat(label, value, note) {
  return h(
    'div',
    { class: 'stat' },
    h('div', { class: 'stat-label' }, label),
    h('div', { class: 'stat-value' }, value),
    note ? h('div', { class: 'stat-note' }, note) : null,
  );
}

export async function render(main) {
  const data = await api('overview');
  const t = data.traffic;

  const stats = h(
    'div',
    { class: 'stats' },
    stat('Spend this budget period', usd(data.period_spend), `${plural(data.key_count, 'key')} in ${plural(data.team_count, 'team')}`),
    stat('Requests · 30 days', count(t.requests), `${count(t.budget_refusals)} refused for budget`),
    stat('Tokens · 30 days', count(t.total_tokens)),
    stat('Error rate · 30 days', percent(t.error_rate), `${count(t.errors)} errors`),
  );

  const closest = card(
    'Closest to budget',
    table(
      ['Name', 'Kind', 'Used', 'Resets'],
      data.closest_to_budget.length === 0
        ? [emptyRow(4, 'No team or key has a budget yet.')]
        : data.closest_to_budget.map((holder) =>
            h(
              'tr',
              { dataset: { holder: holder.id } },
              h(
                'td',
                null,
                h('a', { href: holder.kind === 'team' ? '/ui/teams' : '/ui/keys' }, holder.label),
                ' ',
                budgetBadge(holder),
                holder.blocked ? badge('Blocked', 'danger') : null,
              ),
              h('td', null, holder.kind),
              h('td', { class: 'budget-cell' }, budgetBar(holder, { compact: true })),
              h('td', null, holder.budget_reset_at ? date(holder.budget_reset_at) : 'never'),
            ),
          ),
      { caption: 'Teams and keys closest to their budget' },
    ),
  );

  const byTeam = card(
    'Spend by team',
    table(
      ['Team', 'Spend this period', 'Budget', 'Resets'],
      data.teams.length === 0
        ? [emptyRow(4, 'No teams yet.')]
        : data.teams.map((team) =>
            h(
              'tr',
              null,
              h('td', null, team.label, ' ', budgetBadge(team)),
              h('td', { class: 'num' }, usd(team.spend)),
              h('td', { class: 'num' }, team.max_budget === null ? 'none' : usd(team.max_budget)),
              h('td', null, team.budget_reset_at ? date(team.budget_reset_at) : 'never'),
            ),
          ),
    ),
  );

  const byKey = card(
    'Spend by key',
    table(
      ['Key', 'Team', 'Spend this period', 'Budget'],
      data.keys.length === 0
        ? [emptyRow(4, 'No keys yet.')]
        : data.keys.map((key) =>
            h(
              'tr',
              null,
              h('td', null, key.label, ' ', budgetBadge(key)),
              h('td', null, key.team_label ?? '—'),
              h('td', { class: 'num' }, usd(key.spend)),
              h('td', { class: 'num' }, key.max_budget === null ? 'none' : usd(key.max_budget)),
            ),
          ),
    ),
    data.key_count > data.keys.length
      ? h('p', { class: 'muted small' }, h('a', { href: '/ui/keys' }, `All ${count(data.key_count)} keys →`))
      : null,
  );

  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Overview'),
      h('p', { class: 'muted' }, 'Spend counts against each team’s and key’s current budget window. Days are UTC.'),
    ),
    stats,
    card(`Daily spend by team · last 30 days · ${usd(data.daily_spend.total)}`, chartFigure(data.daily_spend)),
    h('div', { class: 'grid-2' }, closest, byTeam),
    byKey,
  );
}
