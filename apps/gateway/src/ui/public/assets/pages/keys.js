import { api } from '../api.js';
import { budgetBadge, budgetBar, budgetState } from '../budget.js';
import { badge, card, emptyRow, h, table } from '../dom.js';
import { busy, clearErrors, confirmDialog, field, formBody, showError, toast } from '../forms.js';
import { count, relative } from '../format.js';

/** Copies without the async clipboard API where it is unavailable (plain HTTP on a LAN address). */
async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
  } catch {
    input.select();
    document.execCommand('copy');
  }
}

/**
 * The raw key, once. It lives only in this element: not in storage, not in the URL, and a reload
 * (or leaving the page) loses it for good — the gateway keeps only its hash.
 */
function createdKeyPanel(created) {
  const input = h('input', {
    id: 'created-key',
    class: 'mono',
    readonly: true,
    value: created.key,
    'aria-label': 'The new key',
    spellcheck: 'false',
  });
  const copy = h('button', { type: 'button', class: 'button primary', id: 'copy-key' }, 'Copy');
  copy.addEventListener('click', async () => {
    await copyText(input);
    copy.textContent = 'Copied';
    setTimeout(() => (copy.textContent = 'Copy'), 2000);
  });
  const panel = h(
    'div',
    { class: 'created-key', role: 'status', id: 'created-key-panel' },
    h(
      'p',
      null,
      h('strong', null, `Key ${created.key_alias ?? created.key_name} created.`),
      ' Copy it now: it is shown only once and cannot be shown again.',
    ),
    h('div', { class: 'copy-row' }, input, copy),
    h('button', { type: 'button', class: 'button ghost small', onclick: () => panel.remove() }, 'I have saved it'),
  );
  return panel;
}

function createForm(teams, onCreated) {
  const panelSlot = h('div');
  const form = h(
    'form',
    { class: 'form-grid', id: 'new-key-form', novalidate: true },
    field({ name: 'key_alias', label: 'Alias', placeholder: 'alice-laptop' }),
    field({
      name: 'team_id',
      label: 'Team',
      type: 'select',
      options: [['', 'No team'], ...teams.map((team) => [team.team_id, team.team_alias ?? team.team_id])],
    }),
    field({ name: 'max_budget', label: 'Budget (USD)', placeholder: 'no limit', inputmode: 'decimal' }),
    field({ name: 'budget_duration', label: 'Budget period', placeholder: '30d', hint: '1d, 7d, 30d, 1mo… Empty: never resets.' }),
    field({ name: 'models', label: 'Models (optional)', placeholder: 'all models', hint: 'Comma-separated aliases.' }),
    field({ name: 'duration', label: 'Expires after (optional)', placeholder: 'never', hint: 'Key lifetime, e.g. 90d.' }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Create key')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(form, async () => {
      try {
        const created = await api('keys', { method: 'POST', body: formBody(form, { numbers: ['max_budget'], lists: ['models'] }) });
        form.reset();
        panelSlot.replaceChildren(createdKeyPanel(created));
        await onCreated();
      } catch (error) {
        showError(form, error);
      }
    });
  });
  return h('div', null, panelSlot, form);
}

function keyRow(key, teamsById, reload) {
  const team = key.team_id ? teamsById.get(key.team_id) : undefined;
  const name = key.key_alias ?? key.key_name;
  const act = async (path, method, done) => {
    try {
      await api(path, { method });
      toast(done);
      await reload();
    } catch (error) {
      toast(error.message, 'error');
    }
  };
  const remove = async () => {
    const confirmed = await confirmDialog({
      title: `Delete key ${name}?`,
      message: 'Clients using it are refused at once. Its spend stays in the logs. This cannot be undone.',
      confirmLabel: 'Delete key',
    });
    if (confirmed) await act(`keys/${key.token}`, 'DELETE', `Key ${name} deleted`);
  };
  return h(
    'tr',
    { dataset: { token: key.token, alias: key.key_alias ?? '' } },
    h('td', null, h('div', { class: 'name' }, key.key_alias ?? h('span', { class: 'muted' }, 'no alias'))),
    h('td', null, key.team_label ?? '—'),
    h('td', { class: 'mono' }, key.key_name),
    h('td', { class: 'budget-cell' }, budgetBar(key, { compact: true })),
    h('td', null, key.budget_duration ?? 'never'),
    h(
      'td',
      null,
      key.last_used_at ? h('time', { datetime: key.last_used_at, title: key.last_used_at }, relative(key.last_used_at)) : 'never',
    ),
    h(
      'td',
      null,
      key.blocked ? badge('Blocked', 'danger') : badge('Active', 'ok'),
      ' ',
      budgetBadge(key),
      // The team's budget binds the key too: say so where the key is looked at.
      team && budgetState(team) === 'exhausted' ? badge('Team budget exhausted', 'danger') : null,
      team?.blocked ? badge('Team blocked', 'danger') : null,
      key.expires && new Date(key.expires) < new Date() ? badge('Expired', 'warning') : null,
    ),
    h(
      'td',
      { class: 'actions' },
      key.blocked
        ? h(
            'button',
            { type: 'button', class: 'button small', onclick: () => act(`keys/${key.token}/unblock`, 'POST', `Key ${name} unblocked`) },
            'Unblock',
          )
        : h(
            'button',
            {
              type: 'button',
              class: 'button small danger-outline',
              onclick: () => act(`keys/${key.token}/block`, 'POST', `Key ${name} blocked`),
            },
            'Block',
          ),
      h('button', { type: 'button', class: 'button small danger', onclick: remove }, 'Delete'),
    ),
  );
}

export async function render(main) {
  const listHolder = h('div');
  const reload = async () => {
    const [{ keys, total, truncated }, teams] = await Promise.all([api('keys'), api('teams')]);
    const teamsById = new Map(teams.map((team) => [team.team_id, team]));
    listHolder.replaceChildren(
      table(
        ['Alias', 'Team', 'Key', 'Spend / budget', 'Period', 'Last used', 'Status', ''],
        keys.length === 0 ? [emptyRow(8, 'No keys yet. Create one above.')] : keys.map((key) => keyRow(key, teamsById, reload)),
        { caption: 'Virtual keys', className: 'keys-table' },
      ),
      ...(truncated ? [h('p', { class: 'muted small' }, `Showing the newest ${count(keys.length)} of ${count(total)} keys.`)] : []),
    );
  };
  const teams = await api('teams');
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Keys'),
      h('p', { class: 'muted' }, 'Virtual keys for clients. Only a hash is stored: a new key is shown once.'),
    ),
    card('New key', createForm(teams, reload)),
    card('All keys', listHolder),
  );
  await reload();
}
