import { api } from '../api.js';
import { badge, card, emptyRow, h, table } from '../dom.js';
import { clearErrors, field, showError } from '../forms.js';
import { count, dateTime, ms, usd } from '../format.js';

const FILTERS = ['key', 'team_id', 'model', 'status', 'source', 'session_id', 'from', 'to'];
const SOURCES = [
  ['', 'Any source'],
  ['gateway', 'Through the gateway'],
  ['subscription', 'Subscription tools'],
];
const STATUS_TONES = { success: 'ok', error: 'danger', budget_exceeded: 'danger', client_cancelled: 'warning', unsettled: 'warning' };
const STATUS_LABELS = {
  success: 'success',
  error: 'error',
  budget_exceeded: 'budget exceeded',
  client_cancelled: 'cancelled',
  unsettled: 'unsettled',
};

function statusBadge(status) {
  return badge(STATUS_LABELS[status] ?? status, STATUS_TONES[status] ?? 'neutral');
}

/** Filters live in the URL, so a filtered view can be reloaded, bookmarked and shared. */
function filtersFromUrl() {
  const params = new URLSearchParams(window.location.search);
  return Object.fromEntries(FILTERS.map((name) => [name, params.get(name) ?? '']));
}

function filterForm(teams, models, filters, onApply) {
  const form = h(
    'form',
    { class: 'form-grid filters', id: 'logs-filters', novalidate: true },
    field({ name: 'key', label: 'Key', placeholder: 'alias or token', value: filters.key }),
    field({
      name: 'team_id',
      label: 'Team',
      type: 'select',
      value: filters.team_id,
      options: [['', 'Any team'], ...teams.map((t) => [t.team_id, t.team_alias ?? t.team_id])],
    }),
    field({
      name: 'model',
      label: 'Model',
      type: 'select',
      value: filters.model,
      options: [['', 'Any model'], ...models.map((m) => [m, m])],
    }),
    field({
      name: 'status',
      label: 'Status',
      type: 'select',
      value: filters.status,
      options: [['', 'Any status'], ...Object.entries(STATUS_LABELS)],
    }),
    field({ name: 'source', label: 'Source', type: 'select', value: filters.source, options: SOURCES }),
    field({ name: 'session_id', label: 'Session', placeholder: 'session id', value: filters.session_id }),
    field({ name: 'from', label: 'From (UTC day)', type: 'date', value: filters.from }),
    field({ name: 'to', label: 'To (UTC day)', type: 'date', value: filters.to }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h(
      'div',
      { class: 'form-actions' },
      h('button', { type: 'submit', class: 'button primary' }, 'Apply'),
      h('button', { type: 'reset', class: 'button ghost' }, 'Reset'),
    ),
  );
  const apply = () => {
    const values = Object.fromEntries(FILTERS.map((name) => [name, String(form.elements.namedItem(name).value ?? '').trim()]));
    const params = new URLSearchParams(Object.entries(values).filter(([, value]) => value !== ''));
    const query = params.toString();
    history.pushState(null, '', `/ui/logs${query ? `?${query}` : ''}`);
    onApply(values);
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply();
  });
  // After the browser has reset the fields.
  form.addEventListener('reset', () => setTimeout(apply));
  return form;
}

function detail(label, value) {
  return [h('dt', null, label), h('dd', null, value ?? '—')];
}

function openDetails(row) {
  const dialog = h(
    'dialog',
    { class: 'dialog dialog-wide', id: 'log-details', 'aria-label': `Request ${row.request_id}` },
    h(
      'div',
      { class: 'dialog-body' },
      h('h2', null, 'Request ', statusBadge(row.status)),
      h('p', { class: 'mono small muted' }, row.request_id),
      h(
        'dl',
        { class: 'details' },
        detail('Started', dateTime(row.start_time)),
        detail('Key', row.key_label ?? '—'),
        detail('Team', row.team_label ?? '—'),
        detail('Model group', row.model_group),
        detail('Deployment', row.deployment_id),
        detail('Provider', row.provider),
        detail('Upstream model', row.model),
        detail('API base', row.api_base),
        detail('Call type', row.call_type),
        detail('Prompt tokens', count(row.prompt_tokens)),
        detail('Completion tokens', count(row.completion_tokens)),
        detail('Cache read tokens', count(row.cache_read_tokens)),
        detail('Cache write tokens', count(row.cache_write_tokens)),
        detail('Total tokens', count(row.total_tokens)),
        detail(
          'Cost',
          `${usd(row.spend)}${row.unpriced ? ' (unpriced model: charged at the default rate)' : ''}${row.estimated ? ' (estimated: the upstream’s usage was missing or not believable)' : ''}`,
        ),
        detail('Latency', ms(row.latency_ms)),
        detail('Time to first token', ms(row.ttft_ms)),
        detail('Attempted fallbacks', count(row.attempted_fallbacks)),
        detail('Session', row.session_id),
        detail(
          'Source',
          row.source === 'subscription' ? `${row.client_tool} ${row.client_tool_version ?? ''} (reported over OpenTelemetry)` : 'gateway',
        ),
        row.reported_cost === null ? null : detail('Cost reported by the tool', usd(row.reported_cost)),
        detail('End user', row.end_user),
      ),
      row.error ? h('div', { class: 'error-box' }, h('h3', null, 'Error'), h('pre', null, row.error)) : null,
      h('div', { class: 'dialog-actions' }, h('button', { type: 'button', class: 'button', onclick: () => dialog.close() }, 'Close')),
    ),
  );
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

function logRow(row) {
  const open = () => openDetails(row);
  return h(
    'tr',
    { class: 'clickable', dataset: { requestId: row.request_id, status: row.status }, onclick: open },
    h(
      'td',
      null,
      h(
        'button',
        { type: 'button', class: 'link-button', onclick: (event) => (event.stopPropagation(), open()) },
        dateTime(row.start_time),
      ),
    ),
    h('td', null, statusBadge(row.status)),
    h('td', null, row.key_label ?? '—'),
    h('td', null, row.team_label ?? '—'),
    h(
      'td',
      null,
      row.model_group ?? '—',
      row.attempted_fallbacks > 0 ? h('span', { class: 'muted small' }, ` (${row.attempted_fallbacks} fallback)`) : null,
    ),
    h('td', { class: 'num' }, count(row.total_tokens)),
    h('td', { class: 'num' }, usd(row.spend)),
    h('td', { class: 'num' }, ms(row.latency_ms)),
  );
}

export async function render(main) {
  const [teams, models] = await Promise.all([api('teams'), api('models')]);
  const tbody = h('tbody');
  const more = h('button', { type: 'button', class: 'button', id: 'load-more', hidden: true }, 'Load older');
  const summary = h('p', { class: 'muted small', id: 'logs-summary' });
  let current = filtersFromUrl();
  let cursor = null;
  let shown = 0;

  const load = async (append) => {
    clearErrors(form);
    try {
      const page = await api('logs', { query: { ...current, before: append ? cursor : undefined } });
      if (!append) {
        tbody.replaceChildren();
        shown = 0;
      }
      tbody.append(...page.rows.map(logRow));
      shown += page.rows.length;
      if (shown === 0) tbody.replaceChildren(emptyRow(8, 'No requests match these filters.'));
      cursor = page.next_before;
      more.hidden = cursor === null;
      summary.textContent = `${count(shown)} request${shown === 1 ? '' : 's'} shown${cursor ? ', more available' : ''}. Newest first.`;
    } catch (error) {
      showError(form, error);
      if (!append) tbody.replaceChildren(emptyRow(8, 'Fix the filters above.'));
    }
  };
  const form = filterForm(
    teams,
    models.map((m) => m.alias),
    current,
    (filters) => {
      current = filters;
      load(false);
    },
  );
  more.addEventListener('click', () => load(true));
  window.addEventListener('popstate', () => {
    current = filtersFromUrl();
    for (const name of FILTERS) form.elements.namedItem(name).value = current[name];
    load(false);
  });

  const logTable = table(['Time', 'Status', 'Key', 'Team', 'Model', 'Tokens', 'Cost', 'Latency'], [], {
    caption: 'Requests',
    className: 'logs-table',
  });
  logTable.querySelector('table').replaceChild(tbody, logTable.querySelector('tbody'));
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Logs'),
      h(
        'p',
        { class: 'muted' },
        'Every request the gateway settled: what it cost, who made it and where it went. No prompt or completion text is stored.',
      ),
    ),
    card('Filters', form),
    card(null, summary, logTable, h('div', { class: 'more' }, more)),
  );
  await load(false);
}
