// The dashboard shell: which page this is, who is logged in, logout. Each page is a module
// with `render(main)`; navigation is plain links, so reload, back and deep links just work.
import { api } from './api.js';
import { h } from './dom.js';

const PAGES = {
  '/ui': 'overview',
  '/ui/teams': 'teams',
  '/ui/keys': 'keys',
  '/ui/logs': 'logs',
  '/ui/sessions': 'sessions',
  '/ui/models': 'models',
};

const TITLES = { overview: 'Overview', teams: 'Teams', keys: 'Keys', logs: 'Logs', sessions: 'Sessions', models: 'Models' };

async function start() {
  const path = window.location.pathname.replace(/\/+$/, '') || '/ui';
  const page = PAGES[path] ?? 'overview';
  document.title = `${TITLES[page]} · Tollgate`;
  document.body.dataset.page = page;
  for (const link of document.querySelectorAll('.nav a')) {
    if (link.dataset.page === page) link.setAttribute('aria-current', 'page');
  }
  document.getElementById('logout').addEventListener('click', logout);
  api('session')
    .then((session) => (document.getElementById('session-user').textContent = session.user))
    .catch(() => undefined);

  const main = document.getElementById('page');
  try {
    const module = await import(`./pages/${page}.js`);
    await module.render(main);
  } catch (error) {
    main.replaceChildren(
      h('div', { class: 'card error-card', role: 'alert' }, h('h2', null, 'Could not load this page'), h('p', null, error.message)),
    );
  }
}

async function logout() {
  try {
    await api('logout', { method: 'POST', allowUnauthenticated: true });
  } finally {
    window.location.assign('/ui/login');
  }
}

start();
