// Builds DOM from data without innerHTML, so nothing a user typed (a team alias, an error
// message from an upstream) can ever become markup.

const SVG_NS = 'http://www.w3.org/2000/svg';

function apply(element, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (name === 'text') element.textContent = String(value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (name === 'style') Object.assign(element.style, value);
    else if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** `h('td', { class: 'num' }, '42')` */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  apply(element, attrs);
  append(element, children);
  return element;
}

/** The same for SVG elements. */
export function s(tag, attrs, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  apply(element, attrs);
  append(element, children);
  return element;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

/** A table that scrolls sideways on a narrow screen instead of squeezing its columns. */
export function table(headers, rows, { caption, className } = {}) {
  return h(
    'div',
    { class: 'table-wrap' },
    h(
      'table',
      { class: className },
      caption ? h('caption', { class: 'visually-hidden' }, caption) : null,
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map((header) => (typeof header === 'string' ? h('th', { scope: 'col' }, header) : header)),
        ),
      ),
      h('tbody', null, rows),
    ),
  );
}

export function card(title, ...children) {
  return h('section', { class: 'card' }, title ? h('h2', { class: 'card-title' }, title) : null, ...children);
}

export function badge(text, tone = 'neutral') {
  return h('span', { class: ['badge', `badge-${tone}`] }, text);
}

export function emptyRow(columns, text) {
  return h('tr', null, h('td', { colspan: columns, class: 'empty' }, text));
}
