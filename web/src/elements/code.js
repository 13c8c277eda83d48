// st::code: a block of source, with a language class a highlighter could use.
import { Element } from '../../generated/page.js';
import { make } from '../dom.js';

export const member = Element.CODE;

export function create(element) {
  const node = make('pre', 'code');
  const code = make('code');
  node.append(code);
  const update = (e) => {
    const { source, language } = e.code;
    code.textContent = source;
    code.className = /^[A-Za-z0-9_+-]{1,32}$/.test(language) ? `language-${language}` : '';
  };
  update(element);
  return { node, update };
}
