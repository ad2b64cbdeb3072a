// Forms: read fields into an admin-API body, and put the gateway's 400 next to the field it names.
import { h } from './dom.js';

/** A labelled input; `name` is the admin API's field name, so a 400's `param` finds it. */
export function field({ name, label, type = 'text', placeholder, hint, value, required, options, inputmode, autocomplete = 'off' }) {
  const id = `field-${name}-${Math.random().toString(36).slice(2, 7)}`;
  const hintId = hint ? `${id}-hint` : undefined;
  const control =
    type === 'select'
      ? h(
          'select',
          { id, name, 'aria-describedby': hintId },
          options.map(([v, text]) => h('option', { value: v, selected: v === value }, text)),
        )
      : h('input', {
          id,
          name,
          type,
          placeholder,
          value,
          required,
          inputmode,
          autocomplete,
          spellcheck: 'false',
          'aria-describedby': hintId,
        });
  return h(
    'div',
    { class: 'field', dataset: { field: name } },
    h('label', { for: id }, label),
    control,
    hint ? h('p', { class: 'hint', id: hintId }, hint) : null,
  );
}

/**
 * Text fields to JSON: empty fields are left out (or sent as null with `emptyAsNull`, to clear a
 * limit); numbers typed as numbers become numbers; anything else is sent as typed, so the
 * gateway's validation — not this script — decides what is valid and says so.
 */
export function formBody(form, { numbers = [], lists = [], emptyAsNull = [] } = {}) {
  const body = {};
  for (const [name, raw] of new FormData(form).entries()) {
    const value = typeof raw === 'string' ? raw.trim() : raw;
    if (value === '') {
      if (emptyAsNull.includes(name)) body[name] = null;
      continue;
    }
    if (numbers.includes(name) && /^-?\d+(\.\d+)?$/.test(value)) body[name] = Number(value);
    else if (lists.includes(name))
      body[name] = value
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    else body[name] = value;
  }
  return body;
}

export function clearErrors(form) {
  for (const node of form.querySelectorAll('.field-error')) node.remove();
  for (const node of form.querySelectorAll('[aria-invalid]')) node.removeAttribute('aria-invalid');
  const general = form.querySelector('.form-error');
  if (general) {
    general.textContent = '';
    general.hidden = true;
  }
}

/** Shows an ApiError: under the field its `param` names (`metadata.team` → `metadata`), else above the buttons. */
export function showError(form, error) {
  clearErrors(form);
  const name = error.param ? String(error.param).split(/[.[]/)[0] : null;
  const control = name ? form.elements.namedItem(name) : null;
  if (control && control instanceof HTMLElement) {
    const message = h('p', { class: 'field-error', id: `${control.id}-error`, role: 'alert' }, error.message);
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-errormessage', message.id);
    control.closest('.field').append(message);
    control.focus();
    return;
  }
  let general = form.querySelector('.form-error');
  if (!general) {
    general = h('p', { class: 'form-error', role: 'alert' });
    form.append(general);
  }
  general.textContent = error.message;
  general.hidden = false;
}

/** Disables the form's buttons while `work` runs, so a double click cannot create two teams. */
export async function busy(form, work) {
  const buttons = [...form.querySelectorAll('button')];
  buttons.forEach((button) => (button.disabled = true));
  try {
    return await work();
  } finally {
    buttons.forEach((button) => (button.disabled = false));
  }
}

/** The in-page confirmation dialog (no window.confirm: it cannot be styled and blocks the page). */
export function confirmDialog({ title, message, confirmLabel = 'Confirm' }) {
  const dialog = document.getElementById('confirm-dialog');
  dialog.querySelector('#confirm-title').textContent = title;
  dialog.querySelector('#confirm-message').textContent = message;
  dialog.querySelector('#confirm-ok').textContent = confirmLabel;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
    dialog.returnValue = '';
    dialog.showModal();
    dialog.querySelector('#confirm-cancel').focus();
  });
}

/** A transient message at the bottom of the screen, announced to screen readers. */
export function toast(text, tone = 'ok') {
  let region = document.getElementById('toasts');
  if (!region) {
    region = h('div', { id: 'toasts', class: 'toasts', role: 'status', 'aria-live': 'polite' });
    document.body.append(region);
  }
  const node = h('div', { class: ['toast', `toast-${tone}`] }, text);
  region.append(node);
  setTimeout(() => node.remove(), 4000);
}
