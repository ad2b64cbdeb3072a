import { api } from '../api.js';
import { badge, card, h, table } from '../dom.js';
import { dateTime } from '../format.js';

const STATES = {
  healthy: ['healthy', 'ok'],
  unknown: ['healthy · no errors seen', 'ok'],
  cooling_down: ['cooling down', 'warning'],
  unhealthy: ['unhealthy', 'danger'],
};

function healthBadge(deployment) {
  const [label, tone] = STATES[deployment.state] ?? [deployment.state, 'neutral'];
  return badge(label, tone);
}

function aliasCard(model) {
  const chain = h(
    'p',
    { class: 'chain' },
    h('span', { class: 'muted' }, 'Fallbacks: '),
    model.fallbacks.length === 0
      ? h('span', { class: 'muted' }, 'none')
      : [model.alias, ...model.fallbacks].flatMap((alias, i) => [
          i > 0 ? h('span', { class: 'arrow', 'aria-hidden': 'true' }, ' → ') : null,
          h('code', null, alias),
        ]),
  );
  const rows = model.deployments.map((d) =>
    h(
      'tr',
      { dataset: { deployment: d.id, state: d.state } },
      h('td', { class: 'mono small' }, d.id),
      h('td', null, d.provider),
      h('td', { class: 'mono' }, d.model),
      h('td', { class: 'mono small' }, d.api_base),
      h(
        'td',
        null,
        healthBadge(d),
        d.probed ? h('span', { class: 'muted small' }, ' probed') : null,
        d.cooldown_until ? h('div', { class: 'muted small' }, `until ${dateTime(d.cooldown_until)}`) : null,
        d.error ? h('div', { class: 'error-text small' }, d.error) : null,
      ),
    ),
  );
  return card(
    null,
    h(
      'h2',
      { class: 'card-title' },
      h('code', null, model.alias),
      ' ',
      h('span', { class: 'muted small' }, `${model.deployments.length} deployment${model.deployments.length === 1 ? '' : 's'}`),
    ),
    chain,
    table(['Deployment', 'Provider', 'Model', 'API base', 'Health'], rows, { caption: `Deployments of ${model.alias}` }),
  );
}

export async function render(main) {
  const list = h('div', { class: 'model-list' });
  const refresh = h('button', { type: 'button', class: 'button', id: 'refresh-models' }, 'Check again');
  const load = async () => {
    refresh.disabled = true;
    try {
      const models = await api('models');
      list.replaceChildren(
        ...(models.length === 0 ? [card(null, h('p', { class: 'muted' }, 'No models configured.'))] : models.map(aliasCard)),
      );
    } finally {
      refresh.disabled = false;
    }
  };
  refresh.addEventListener('click', load);
  main.replaceChildren(
    h(
      'div',
      { class: 'page-head' },
      h('h1', null, 'Models'),
      h(
        'p',
        { class: 'muted' },
        'Aliases clients call, the deployments behind them and the order fallbacks are tried. Ollama is probed live; cloud deployments are judged from real traffic.',
      ),
      refresh,
    ),
    list,
  );
  await load();
}
