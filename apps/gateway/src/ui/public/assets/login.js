// Login: the secret goes to the gateway once, in a JSON body; the answer is an HttpOnly cookie.
import { api } from './api.js';
import { busy, clearErrors, showError } from './forms.js';

const form = document.getElementById('login-form');

/** Only a path inside the dashboard: `next` must never turn this page into an open redirect. */
function nextPage() {
  const next = new URLSearchParams(window.location.search).get('next');
  return next && /^\/ui(\/|$|\?)/.test(next) && !next.startsWith('//') ? next : '/ui';
}

async function start() {
  const { method } = await api('login', { allowUnauthenticated: true });
  for (const node of form.querySelectorAll('[data-method]')) node.hidden = node.dataset.method !== method;
  form.querySelector(method === 'password' ? '#username' : '#master_key').focus();

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    clearErrors(form);
    const body =
      method === 'password'
        ? { username: form.elements.username.value.trim(), password: form.elements.password.value }
        : { master_key: form.elements.master_key.value.trim() };
    await busy(form, async () => {
      try {
        await api('login', { method: 'POST', body, allowUnauthenticated: true });
        // Drop the secret from the page before leaving it.
        form.reset();
        window.location.assign(nextPage());
      } catch (error) {
        showError(form, error);
        const secret = form.elements.namedItem(method === 'password' ? 'password' : 'master_key');
        secret.value = '';
        if (!error.param) secret.focus();
      }
    });
  });
}

start();
