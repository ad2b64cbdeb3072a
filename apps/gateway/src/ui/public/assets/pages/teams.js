import { api } from '../api.js';
import { budgetBadge, budgetBar } from '../budget.js';
import { badge, card, emptyRow, h, table } from '../dom.js';
import { busy, clearErrors, field, formBody, showError, toast } from '../forms.js';
import { count, date } from '../format.js';

const DURATION_HINT = 'How often the budget resets: 1d, 7d, 30d, 1mo… Empty: never.';

function createForm(onCreated) {
  const form = h(
    'form',
    { class: 'form-grid', id: 'new-team-form', novalidate: true },
    field({ name: 'team_alias', label: 'Name', placeholder: 'research' }),
    field({ name: 'team_id', label: 'Team id (optional)', placeholder: 'generated when empty' }),
    field({
      name: 'max_budget',
      label: 'Budget (USD)',
      placeholder: 'no limit',
      inputmode: 'decimal',
      hint: 'Hard limit per budget period.',
    }),
    field({ name: 'budget_duration', label: 'Budget period', placeholder: '30d', hint: DURATION_HINT }),
    field({ name: 'models', label: 'Models (optional)', placeholder: 'all models', hint: 'Comma-separated aliases.' }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h('div', { class: 'form-actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Create team')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    await busy(form, async () => {
      try {
        const team = await api('teams', { method: 'POST', body: formBody(form, { numbers: ['max_budget'], lists: ['models'] }) });
        form.reset();
        toast(`Team ${team.team_alias ?? team.team_id} created`);
        await onCreated();
      } catch (error) {
        showError(form, error);
      }
    });
  });
  return form;
}

/** Budget and period in a dialog; empty fields clear the limit (null), as /team/update does. */
function editDialog(team, onSaved) {
  const form = h(
    'form',
    { class: 'dialog-body', novalidate: true },
    h('h2', null, `Budget of ${team.team_alias ?? team.team_id}`),
    field({ name: 'max_budget', label: 'Budget (USD)', value: team.max_budget ?? '', placeholder: 'no limit', inputmode: 'decimal' }),
    field({
      name: 'budget_duration',
      label: 'Budget period',
      value: team.budget_duration ?? '',
      placeholder: 'never resets',
      hint: DURATION_HINT,
    }),
    h('p', { class: 'form-error', role: 'alert', hidden: true }),
    h(
      'div',
      { class: 'dialog-actions' },
      h('button', { type: 'button', class: 'button ghost', onclick: () => dialog.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'button primary' }, 'Save'),
    ),
  );
  const dialog = h('dialog', { class: 'dialog', id: 'edit-team-dialog' }, form);
  dialog.addEventListener('close', () => dialog.remove());
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    await busy(form, async () => {
      try {
        const body = formBody(form, { numbers: ['max_budget'], emptyAsNull: ['max_budget', 'budget_duration'] });
        await api(`teams/${encodeURIComponent(team.team_id)}`, { method: 'PATCH', body });
        dialog.close();
        toast('Budget saved');
        await onSaved();
      } catch (error) {
        showError(form, error);
      }
    });
  });
  document.body.append(dialog);
  dialog.showModal();
}

function teamRow(team, reload) {
  const name = team.team_alias ?? team.team_id;
  const toggle = async () => {
    try {
      await api(`teams/${encodeURIComponent(team.team_id)}/${team.blocked ? 'unblock' : 'block'}`, { method: 'POST' });
      toast(`Team ${name} ${team.blocked ? 'unblocked' : 'blocked'}`);
      await reload();
    } catch (error) {
      toast(error.message, 'error');
    }
  };
  return h(
    'tr',
    { dataset: { teamId: team.team_id } },
    h('td', null, h('div', { class: 'name' }, name), h('div', { class: 'muted small mono' }, team.team_id)),
    h('td', { class: 'budget-cell' }, budgetBar(team)),
    h(
      'td',
      null,
      team.budget_duration ?? 'never',
      h('div', { class: 'muted small' }, team.budget_reset_at ? `resets ${date(team.budget_reset_at)}` : ''),
    ),
    h('td', { class: 'num' }, count(team.key_count)),
    h('td', null, team.blocked ? badge('Blocked', 'danger') : badge('Active', 'ok'), ' ', budgetBadge(team)),
    h(
      'td',
      { class: 'actions' },
      h('button', { type: 'button', class: 'button small', onclick: () => editDialog(team, reload) }, 'Edit budget'),
      h(
        'button',
        { type: 'button', class: ['button', 'small', team.blocked ? null : 'danger-outline'], onclick: toggle },
        team.blocked ? 'Unblock' : 'Block',
      ),
    ),
  );
}

export async function render(main) {
  const listHolder = h('div');
  const reload = async () => {
    const teams = await api('teams');
    listHolder.replaceChildren(
      table(
        ['Team', 'Budget', 'Period', 'Keys', 'Status', ''],
        teams.length === 0 ? [emptyRow(6, 'No teams yet. Create one above.')] : teams.map((team) => teamRow(team, reload)),
        { caption: 'Teams', className: 'teams-table' },
      ),
    );
  };
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Teams'),
      h('p', { class: 'muted' }, 'A team’s budget binds every key in it. Blocking a team refuses all its keys.'),
    ),
    card('New team', createForm(reload)),
    card('All teams', listHolder),
  );
  await reload();
}
