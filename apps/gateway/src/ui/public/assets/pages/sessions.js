import { api } from '../api.js';
import { badge, card, emptyRow, h, table } from '../dom.js';
import { clearErrors, field, showError } from '../forms.js';
import { count, dateTime, usd } from '../format.js';

const SOURCES = [
  ['', 'Any source'],
  ['gateway', 'Through the gateway'],
  ['subscription', 'Subscription tools'],
];

/** Filters live in the URL, as on the Logs page. */
function filtersFromUrl() {
  const params = new URLSearchParams(window.location.search);
  return { team_id: params.get('team_id') ?? '', source: params.get('source') ?? '' };
}

function duration(seconds) {
  if (seconds === null || seconds === undefined) return '—';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function sourceBadge(session) {
  return session.source === 'subscription' ? badge(session.client_tool ?? 'subscription', 'warning') : badge('gateway', 'neutral');
}

function sessionRow(session, teamLabels) {
  const logs = `/ui/logs?${new URLSearchParams({ session_id: session.session_id })}`;
  return h(
    'tr',
    { dataset: { sessionId: session.session_id, source: session.source } },
    h('td', null, dateTime(session.last_call)),
    h('td', { class: 'mono small' }, h('a', { href: logs, title: "This session's requests" }, session.session_id)),
    h('td', null, sourceBadge(session)),
    h('td', null, session.team_id ? (teamLabels.get(session.team_id) ?? session.team_id) : '—'),
    h('td', null, dateTime(session.first_call)),
    h('td', { class: 'num' }, duration(session.active_time_seconds)),
    h('td', { class: 'num' }, count(session.requests)),
    h('td', { class: 'num' }, count(session.total_tokens)),
    h('td', { class: 'num' }, usd(session.spend)),
    h('td', { class: 'num' }, session.reported_cost === null ? '—' : usd(session.reported_cost)),
  );
}

export async function render(main) {
  const teams = await api('teams');
  const teamLabels = new Map(teams.map((t) => [t.team_id, t.team_alias ?? t.team_id]));
  const tbody = h('tbody');
  let current = filtersFromUrl();

  const form = h(
    'form',
    { class: 'form-grid filters', id: 'sessions-filters', novalidate: true },
    field({
      name: 'team_id',
      label: 'Team (client)',
      type: 'select',
      value: current.team_id,
      options: [['', 'Any team'], ...teams.map((t) => [t.team_id, t.team_alias ?? t.team_id])],
    }),
    field({ name: 'source', label: 'Source', type: 'select', value: current.source, options: SOURCES }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Apply')),
  );

  const load = async () => {
    clearErrors(form);
    try {
      const sessions = await api('sessions', { query: current });
      tbody.replaceChildren(...sessions.map((session) => sessionRow(session, teamLabels)));
      if (sessions.length === 0) tbody.replaceChildren(emptyRow(10, 'No sessions match these filters.'));
    } catch (error) {
      showError(form, error);
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    current = { team_id: form.elements.namedItem('team_id').value, source: form.elements.namedItem('source').value };
    const query = new URLSearchParams(Object.entries(current).filter(([, value]) => value !== '')).toString();
    history.pushState(null, '', `/ui/sessions${query ? `?${query}` : ''}`);
    load();
  });

  const sessionTable = table(
    [
      'Last activity',
      'Session',
      'Source',
      'Team',
      'Started',
      'Active time',
      'Requests',
      'Tokens',
      'Cost (list prices)',
      'Cost (reported by tool)',
    ],
    [],
    {
      caption: 'Sessions',
      className: 'sessions-table',
    },
  );
  sessionTable.querySelector('table').replaceChild(tbody, sessionTable.querySelector('tbody'));
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Sessions'),
      h(
        'p',
        { class: 'muted' },
        "Client sessions for invoicing: calls through the gateway and the usage Claude Code and Codex subscriptions report over OpenTelemetry. Active time is the tool's own measure where it sends one, else the span of the session's requests.",
      ),
    ),
    card('Filters', form),
    card(null, sessionTable),
  );
  await load();
}
